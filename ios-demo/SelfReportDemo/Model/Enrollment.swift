// Enrollment codes as typed, and the arrival pass's timing and QR image: the rules of the
// enrollment screens that need no core (tested in SelfReportDemoTests/EnrollmentTests).

import CoreImage
import CoreImage.CIFilterBuiltins
import Foundation
import UIKit

/// What a person types as an enrollment code, read as the core reads it
/// (core/src/enrollment_code.rs: spaces, tabs, line breaks and hyphens dropped, upper case,
/// `O` read as `0`, `I` and `L` as `1`) and grouped as collectors show codes
/// (`ABCDE-FGHJK-M`). The check symbol is the core's to verify: a typo comes back as
/// `EnrollmentCodeMalformed` before anything is sent.
enum EnrollmentCodeInput {
    /// Crockford's base32 symbols (no `I`, `L`, `O`, `U`).
    static let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    /// Symbols in a code: ten random ones and the check symbol.
    static let symbols = 11
    /// Symbols per group as shown.
    static let group = 5
    /// Longest text kept from a paste (the core reads no more either).
    static let maxTyped = 64

    /// The symbols of `typed`, normalized; other characters stay, for the core to name.
    static func normalize(_ typed: String) -> String {
        var result = ""
        for character in typed.prefix(maxTyped) {
            switch character {
            case "-", " ", "\t", "\n", "\r", "\r\n": continue
            default:
                // A String, not a Character: some letters upper-case to two ("ß" to "SS").
                switch character.uppercased() {
                case "O": result += "0"
                case "I", "L": result += "1"
                case let upper: result += upper
                }
            }
        }
        return result
    }

    /// `typed` as the field shows it: normalized, a hyphen after every `group` symbols.
    static func format(_ typed: String) -> String {
        let normalized = Array(normalize(typed))
        return stride(from: 0, to: normalized.count, by: group)
            .map { String(normalized[$0..<min($0 + group, normalized.count)]) }
            .joined(separator: "-")
    }

    /// Whether `typed` has exactly `symbols` symbols of the alphabet: worth asking the core.
    static func isComplete(_ typed: String) -> Bool {
        let normalized = normalize(typed)
        return normalized.count == symbols && normalized.allSatisfy { alphabet.contains($0) }
    }
}

/// When the arrival pass shown is made again: the checkpoint accepts a pass for ten minutes
/// after it was made (core: `MAX_PASS_AGE`); the screen makes a new one after eight, so one
/// scanned just before still has time to be checked.
enum ArrivalPassSchedule {
    /// How long the checkpoint accepts a pass.
    static let validity: TimeInterval = 10 * 60
    /// When a new pass replaces the shown one.
    static let refreshAfter: TimeInterval = 8 * 60

    /// When a pass made at `madeAt` is made again.
    static func refreshAt(madeAt: Date) -> Date { madeAt.addingTimeInterval(refreshAfter) }

    /// Whether a pass made at `madeAt` must be made again at `now` (also when the clock went back).
    static func needsRefresh(madeAt: Date, now: Date) -> Bool {
        now >= refreshAt(madeAt: madeAt) || now < madeAt
    }

    /// Seconds to wait before asking again (never negative).
    static func untilRefresh(madeAt: Date, now: Date) -> TimeInterval {
        max(0, refreshAt(madeAt: madeAt).timeIntervalSince(now))
    }
}

/// The QR code of a pass, drawn by CoreImage's `CIQRCodeGenerator`.
enum QRImage {
    /// The code of `text` (UTF-8, correction level M), `scale` points a module, crisp when
    /// scaled (no interpolation); nil when the text does not fit a QR code.
    static func make(_ text: String, scale: CGFloat = 8) -> UIImage? {
        let filter = CIFilter.qrCodeGenerator()
        filter.message = Data(text.utf8)
        filter.correctionLevel = "M"
        guard let output = filter.outputImage?.transformed(by: CGAffineTransform(scaleX: scale, y: scale)),
              let image = CIContext().createCGImage(output, from: output.extent) else { return nil }
        return UIImage(cgImage: image)
    }
}
