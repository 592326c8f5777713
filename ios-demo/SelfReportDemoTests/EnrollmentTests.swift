// Typed enrollment codes and the arrival pass's schedule and QR image, without the core
// (the core checks the code's check symbol and signs the pass; the Kotlin demo's JVM tests
// run the same rules against the real core).

import CoreImage
import XCTest
@testable import SelfReportDemo

final class EnrollmentTests: XCTestCase {
    func testCodesAreReadAsCrockfordReadsThemAndGroupedAsShown() {
        XCTAssertEqual(EnrollmentCodeInput.normalize("7k3qd-9xw2m-4"), "7K3QD9XW2M4")
        XCTAssertEqual(EnrollmentCodeInput.format("7k3qd 9xw2m 4"), "7K3QD-9XW2M-4")
        XCTAssertEqual(EnrollmentCodeInput.format("OiLo1-lABCD-e"), "01101-1ABCD-E")
        XCTAssertEqual(EnrollmentCodeInput.format("\tAB-CDE\nFGH--JK M\n"), "ABCDE-FGHJK-M")
        XCTAssertEqual(EnrollmentCodeInput.format("abcdef"), "ABCDE-F")
        let once = EnrollmentCodeInput.format("7k3qd9xw2m4")
        XCTAssertEqual(EnrollmentCodeInput.format(once), once)
    }

    func testOnlyElevenSymbolsOfTheAlphabetAreSent() {
        XCTAssertTrue(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-4"))
        XCTAssertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M"))
        XCTAssertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-44"))
        XCTAssertFalse(EnrollmentCodeInput.isComplete("7K3QD-9XW2M-U"))
        XCTAssertEqual(EnrollmentCodeInput.normalize(String(repeating: "A", count: 500)).count, 64)
    }

    func testThePassIsMadeAgainBeforeTheCheckpointRefusesIt() {
        let made = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertLessThan(ArrivalPassSchedule.refreshAfter, ArrivalPassSchedule.validity)
        XCTAssertFalse(ArrivalPassSchedule.needsRefresh(madeAt: made, now: made.addingTimeInterval(479)))
        XCTAssertTrue(ArrivalPassSchedule.needsRefresh(madeAt: made, now: made.addingTimeInterval(480)))
        XCTAssertTrue(ArrivalPassSchedule.needsRefresh(madeAt: made, now: made.addingTimeInterval(-60)))
        XCTAssertEqual(ArrivalPassSchedule.untilRefresh(madeAt: made, now: made.addingTimeInterval(479)), 1)
        XCTAssertEqual(ArrivalPassSchedule.untilRefresh(madeAt: made, now: made.addingTimeInterval(900)), 0)
    }

    func testAPassQRCodeReadsBack() throws {
        let text = #"{"format":"selfreport.arrival-pass/1","policy_id":"sh-arrivals","pseudonym":"9f86d081884c7d659a2feaa0c55ad015"}"#
        let image = try XCTUnwrap(QRImage.make(text))
        let detector = try XCTUnwrap(CIDetector(ofType: CIDetectorTypeQRCode, context: nil, options: nil))
        let features = detector.features(in: try XCTUnwrap(CIImage(image: image)))
        XCTAssertEqual((features.first as? CIQRCodeFeature)?.messageString, text)
    }
}
