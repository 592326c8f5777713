// What the app ships with: the authority keys it trusts, the signed policy it installs,
// and in debug builds a test CA for a drop box on the developer's Mac. The demo reads them
// from the DemoConfig folder that ios-demo/scripts/dev-dropbox.sh fills; a real app
// compiles its trust anchors in and gets policies from its authority.

import Foundation
import SelfReportCore

struct DemoConfiguration {
    /// Authority keys whose policies the app accepts.
    let trustAnchors: [TrustAnchor]
    /// The signed policy (`selfreport.signed/1` JSON bytes) installed at first launch.
    let signedPolicy: Data
    /// Development only: CA certificates (DER) for a drop box with a test certificate.
    let extraRootsDer: [Data]

    /// How the core is opened with this configuration.
    var openOptions: OpenOptions {
        OpenOptions(trustAnchors: trustAnchors, extraRootsDer: extraRootsDer)
    }

    /// Why the configuration could not be read.
    struct Missing: Error {
        let file: String
    }

    /// Reads DemoConfig/ from `bundle`: `trust-anchor.txt` (one base64 Ed25519 key per
    /// line, as `selfreport-authority keygen` writes `signing.pub`), `policy.signed.json`
    /// and, in debug builds, `dev-ca.der`.
    static func load(from bundle: Bundle = .main) throws -> DemoConfiguration {
        guard let directory = bundle.url(forResource: "DemoConfig", withExtension: nil) else {
            throw Missing(file: "DemoConfig")
        }
        let anchorsURL = directory.appendingPathComponent("trust-anchor.txt")
        let policyURL = directory.appendingPathComponent("policy.signed.json")
        guard let anchorsText = try? String(contentsOf: anchorsURL, encoding: .utf8) else {
            throw Missing(file: "trust-anchor.txt")
        }
        guard let policy = try? Data(contentsOf: policyURL) else {
            throw Missing(file: "policy.signed.json")
        }
        let anchors = anchorsText
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map { TrustAnchor(publicKey: $0, notBefore: nil, notAfter: nil) }
        guard !anchors.isEmpty else {
            throw Missing(file: "trust-anchor.txt")
        }
        var roots: [Data] = []
        #if DEBUG
        if let ca = try? Data(contentsOf: directory.appendingPathComponent("dev-ca.der")) {
            roots.append(ca)
        }
        #endif
        return DemoConfiguration(trustAnchors: anchors, signedPolicy: policy, extraRootsDer: roots)
    }
}
