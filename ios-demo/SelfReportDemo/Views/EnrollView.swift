// Enrolling a profile with a collector's order: scan its QR code with the camera
// (AVCaptureMetadataOutput), or type the code printed under it.

import AVFoundation
import SelfReportCore
import SwiftUI

struct EnrollView: View {
    @EnvironmentObject private var model: AppModel
    @Environment(\.dismiss) private var dismiss
    let profileId: ProfileId
    @State private var code = ""
    @State private var problem: String?
    @State private var scanning = false
    @State private var busy = false

    var body: some View {
        Form {
            Section {
                Text(L10n.format(
                    "enroll.intro %@", model.profile(profileId)?.displayName ?? ""
                ))
                Button("enroll.scan") { scanning = true }
                    .disabled(busy)
            }
            Section {
                TextField("enroll.code", text: $code, prompt: Text(verbatim: "ABCDE-FGHJK-M"))
                    .font(.title3.monospaced())
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                    .onChange(of: code) { typed in
                        // Re-grouped as it is typed; only assigned when it changes, so no loop.
                        let formatted = EnrollmentCodeInput.format(typed)
                        if formatted != typed { code = formatted }
                        problem = nil
                    }
                    .submitLabel(.done)
                    .onSubmit(redeem)
                if busy {
                    ProgressView("enroll.busy")
                }
                Button("enroll.use-code", action: redeem)
                    .disabled(busy || !EnrollmentCodeInput.isComplete(code))
            } header: {
                Text("enroll.or-type")
            } footer: {
                if let problem {
                    Text(problem).foregroundStyle(.red)
                }
            }
        }
        .navigationTitle("enroll.title")
        .sheet(isPresented: $scanning) {
            QRScannerSheet { scanned in
                scanning = false
                Task { await finish(model.enroll(profileId: profileId, scanned: scanned)) }
            }
        }
    }

    private func redeem() {
        guard EnrollmentCodeInput.isComplete(code), !busy else { return }
        busy = true
        let typed = code
        Task {
            await finish(model.enroll(profileId: profileId, code: typed))
            busy = false
        }
    }

    private func finish(_ refusal: String?) {
        if let refusal {
            problem = refusal
        } else {
            dismiss()
        }
    }
}

/// The camera looking for a QR code; asks for the camera (Info.plist's
/// NSCameraUsageDescription) and says to type the code when it is refused or missing.
private struct QRScannerSheet: View {
    @Environment(\.dismiss) private var dismiss
    let found: (String) -> Void
    @State private var allowed: Bool?

    var body: some View {
        NavigationStack {
            Group {
                switch allowed {
                case .some(true):
                    QRScannerView(found: found)
                        .ignoresSafeArea()
                        .accessibilityLabel(Text("enroll.scanner"))
                case .some(false):
                    Text("enroll.no-camera").padding()
                case .none:
                    ProgressView()
                }
            }
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button("common.cancel") { dismiss() }
                }
            }
        }
        .task {
            switch AVCaptureDevice.authorizationStatus(for: .video) {
            case .authorized: allowed = true
            case .notDetermined: allowed = await AVCaptureDevice.requestAccess(for: .video)
            default: allowed = false
            }
        }
    }
}

/// A capture session showing the camera and reporting the first QR code it reads.
private struct QRScannerView: UIViewControllerRepresentable {
    let found: (String) -> Void

    func makeUIViewController(context: Context) -> ScannerController {
        ScannerController(found: found)
    }

    func updateUIViewController(_ controller: ScannerController, context: Context) {}

    final class ScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
        private let session = AVCaptureSession()
        private let found: (String) -> Void
        private var reported = false
        private var preview: AVCaptureVideoPreviewLayer?

        init(found: @escaping (String) -> Void) {
            self.found = found
            super.init(nibName: nil, bundle: nil)
        }

        @available(*, unavailable)
        required init?(coder: NSCoder) { nil }

        override func viewDidLoad() {
            super.viewDidLoad()
            view.backgroundColor = .black
            guard let camera = AVCaptureDevice.default(for: .video),
                  let input = try? AVCaptureDeviceInput(device: camera),
                  session.canAddInput(input) else { return }
            session.addInput(input)
            let output = AVCaptureMetadataOutput()
            guard session.canAddOutput(output) else { return }
            session.addOutput(output)
            output.setMetadataObjectsDelegate(self, queue: .main)
            output.metadataObjectTypes = [.qr]
            let layer = AVCaptureVideoPreviewLayer(session: session)
            layer.videoGravity = .resizeAspectFill
            view.layer.addSublayer(layer)
            preview = layer
            // startRunning blocks until the camera is up: not on the main thread.
            let session = self.session
            DispatchQueue.global(qos: .userInitiated).async { session.startRunning() }
        }

        override func viewDidLayoutSubviews() {
            super.viewDidLayoutSubviews()
            preview?.frame = view.bounds
        }

        override func viewWillDisappear(_ animated: Bool) {
            super.viewWillDisappear(animated)
            let session = self.session
            DispatchQueue.global(qos: .userInitiated).async { session.stopRunning() }
        }

        func metadataOutput(
            _ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject], from connection: AVCaptureConnection
        ) {
            guard !reported,
                  let code = objects.compactMap({ $0 as? AVMetadataMachineReadableCodeObject }).first,
                  let text = code.stringValue else { return }
            reported = true
            found(text)
        }
    }
}
