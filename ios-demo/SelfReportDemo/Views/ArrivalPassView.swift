// The arrival pass shown at the checkpoint: a QR code only this phone can make for the
// profile's pre-registration, the identity the registration gave, and a new pass before
// the checkpoint would refuse the shown one.

import SelfReportCore
import SwiftUI

struct ArrivalPassView: View {
    @EnvironmentObject private var model: AppModel
    let profileId: ProfileId
    @State private var image: UIImage?
    @State private var madeAt = Date()
    @State private var problem: String?

    var body: some View {
        List {
            Section {
                Text("pass.intro")
                if let image {
                    Image(uiImage: image)
                        .interpolation(.none)
                        .resizable()
                        .scaledToFit()
                        .padding(16)
                        .background(Color.white)
                        .accessibilityLabel(Text("pass.qr"))
                } else if let problem {
                    Text(problem).foregroundStyle(.red)
                } else {
                    ProgressView()
                }
                Text("pass.renews").font(.footnote).foregroundStyle(.secondary)
            }
            Section("pass.identity") {
                let identity = model.registrationIdentity(profileId)
                LabeledContent("pass.name", value: identity.name ?? L10n.string("profile.not-set"))
                LabeledContent("pass.document", value: identity.document ?? L10n.string("profile.not-set"))
            }
            Section {
                NavigationLink(value: Route.enroll(profileId: profileId)) {
                    Text("pass.enroll")
                }
            }
        }
        .navigationTitle("pass.title")
        .task {
            // Made now, then again each time the schedule says, while the screen is shown.
            while !Task.isCancelled {
                await makePass()
                let wait = max(1, ArrivalPassSchedule.untilRefresh(madeAt: madeAt, now: Date()))
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            }
        }
    }

    private func makePass() async {
        // A failure is tried again on the same schedule, not in a tight loop.
        madeAt = Date()
        do {
            let text = try await model.arrivalPass(profileId: profileId)
            image = QRImage.make(text)
            problem = image == nil ? L10n.string("pass.no-code") : nil
        } catch let error as SelfReportError {
            image = nil
            switch error {
            case .NotFound: problem = L10n.string("pass.no-registration")
            case .Conflict: problem = L10n.string("pass.too-old")
            default: problem = ErrorText.message(for: error)
            }
        } catch {
            image = nil
            problem = ErrorText.message(for: error)
        }
    }
}
