// The app's own logic, without the core: input mapped to the core's text forms, the
// core's refusals mapped back to fields, profile drafts, label choice and reminder plans.
// (The core's behaviour is tested in Rust, Kotlin, Python and bindings/swift.)

import SelfReportCore
import XCTest
@testable import SelfReportDemo

@MainActor
final class FormModelTests: XCTestCase {
    private var labels: LabelPicker { LabelPicker(preferred: ["zh-Hans", "en"]) }

    private func field(
        _ id: String, _ kind: FieldKind, required: Bool = true, fromProfile: Bool = false,
        transform: String = "keep", recipient: String? = "health"
    ) -> FieldInfo {
        FieldInfo(
            id: id, label: ["zh": "中文\(id)", "en": "English \(id)"], kind: kind, required: required,
            fromProfile: fromProfile, transform: transform,
            reduction: transform == "omit" ? .omit : .keep, recipient: recipient
        )
    }

    private var dailyForm: FormInfo {
        FormInfo(
            id: "daily", title: ["zh": "每日健康报告", "en": "Daily health report"], frequency: .daily,
            requiresMonitoring: true,
            fields: [
                field("name", .personName, fromProfile: true, recipient: "identity"),
                field("temperature", .temperatureC, transform: "threshold"),
                field("symptoms", .multiChoice(codes: ["fever", "cough", "fatigue"])),
                field("contact_with_case", .yesNo),
                field("arrival_date", .date(allowFuture: false), required: false),
                field("travel", .travelHistory, required: false, transform: "risk_area_visited"),
                field("notes", .text(maxLen: 200), required: false, transform: "omit", recipient: nil),
            ]
        )
    }

    private var mum: ProfileInfo {
        ProfileInfo(
            id: ProfileId(value: "p1"), displayName: "Mum", name: "王芳", idNumber: nil, phone: "+8613800138000",
            birthDate: try! LocalDate(iso8601: "1960-03-15"), passportNumber: nil
        )
    }

    private func model(existing: [String: String] = [:]) -> FormModel {
        FormModel(
            policyId: "sh-daily-health", form: dailyForm, profile: mum, date: try! LocalDate(iso8601: "2026-11-28"),
            existing: existing, labels: labels
        )
    }

    func testLabelsAndProfileFieldsComeFromThePolicyAndProfile() {
        let form = model()
        XCTAssertEqual(form.title, "每日健康报告")
        XCTAssertEqual(form.fields.map(\.id), dailyForm.fields.map(\.id))
        XCTAssertEqual(form.fields[0].profileValue, "王芳")
        XCTAssertEqual(form.fields[1].label, "中文temperature")
        XCTAssertFalse(form.fields[6].leavesDevice)
        XCTAssertTrue(form.fields[1].leavesDevice)
    }

    func testAnswersUseTheCoresTextFormsAndLeaveOutProfileAndBlankFields() throws {
        let form = model()
        form.set(.text(" 37,6 "), for: "temperature")
        form.set(.codes(["fatigue", "fever"]), for: "symptoms")
        form.set(.yesNo(false), for: "contact_with_case")
        let from = try XCTUnwrap(DayFormat.date(from: "2026-11-20"))
        let to = try XCTUnwrap(DayFormat.date(from: "2026-11-22"))
        form.set(.legs([TravelLeg(place: "420100", from: from, to: to)]), for: "travel")

        XCTAssertEqual(form.answers(), [
            "temperature": "37.6",
            "symptoms": "fever,fatigue",  // in the policy's order
            "contact_with_case": "no",
            "travel": "420100:2026-11-20:2026-11-22",
        ])
    }

    func testNoCodesAndNoTravelAreAnswers() {
        let form = model()
        XCTAssertEqual(form.answers()["symptoms"], "")
        XCTAssertEqual(form.answers()["travel"], "")
        XCTAssertNil(form.answers()["contact_with_case"])
        XCTAssertNil(form.answers()["name"])
    }

    func testASavedRecordPrefillsTheForm() {
        let form = model(existing: [
            "temperature": "36.8", "symptoms": "cough", "contact_with_case": "yes",
            "arrival_date": "2026-11-25", "travel": "420100:2026-11-20:2026-11-22;bad", "notes": "x",
        ])
        XCTAssertEqual(form.input(of: "temperature"), .text("36.8"))
        XCTAssertEqual(form.input(of: "symptoms"), .codes(["cough"]))
        XCTAssertEqual(form.input(of: "contact_with_case"), .yesNo(true))
        XCTAssertEqual(form.answers()["arrival_date"], "2026-11-25")
        XCTAssertEqual(form.answers()["travel"], "420100:2026-11-20:2026-11-22")
        XCTAssertEqual(form.answers()["notes"], "x")
    }

    func testTheCoresRefusalIsShownAtTheFieldItNames() {
        let form = model()
        form.show(SelfReportError.InvalidInput(code: "InvalidInput", field: "temperature", rule: "TooPrecise", detail: "too precise"))
        XCTAssertNotNil(form.fields.first { $0.id == "temperature" }?.error)
        XCTAssertNil(form.formError)

        form.set(.text("37.2"), for: "temperature")
        XCTAssertNil(form.fields.first { $0.id == "temperature" }?.error)

        form.show(SelfReportError.Conflict(code: "Conflict", detail: "no monitoring"))
        XCTAssertNotNil(form.formError)
        XCTAssertTrue(form.fields.allSatisfy { $0.error == nil })
    }

    func testAProfileDraftDropsBlanksAndSeparators() {
        var draft = ProfileDraft()
        draft.displayName = " Dad "
        draft.idNumber = "11010519491231002x"
        draft.phone = "+86 138-0013-8000"
        let profile = draft.newProfile()
        XCTAssertEqual(profile.displayName, "Dad")
        XCTAssertNil(profile.name)
        XCTAssertEqual(profile.idNumber, "11010519491231002X")
        XCTAssertEqual(profile.phone, "+8613800138000")
        XCTAssertNil(profile.birthDate)
    }

    func testLabelsFallBackToEnglishThenAnyThenTheId() {
        let french = LabelPicker(preferred: ["fr-FR"])
        XCTAssertEqual(french.pick(["zh": "中", "en": "en"], fallback: "id"), "en")
        XCTAssertEqual(french.pick(["zh": "中"], fallback: "id"), "中")
        XCTAssertEqual(french.pick([:], fallback: "id"), "id")
        XCTAssertEqual(LabelPicker(preferred: ["zh-Hant-TW"]).pick(["zh": "中", "en": "en"], fallback: "id"), "中")
    }
}

final class ReminderPlannerTests: XCTestCase {
    private func item(_ date: String) -> DueItem {
        DueItem(profileId: ProfileId(value: "p"), policyId: "x", formId: "daily", date: try! LocalDate(iso8601: date), day: 1, ofDays: 14)
    }

    func testPlansTheDaysThatHaveSomethingDue() {
        var asked: [String] = []
        let plan = ReminderPlanner.plan(from: "2026-11-30", days: 3) { day in
            asked.append(day)
            return day == "2026-12-01" ? [] : [item(day), item(day)]
        }
        XCTAssertEqual(asked, ["2026-11-30", "2026-12-01", "2026-12-02"])
        XCTAssertEqual(plan, [
            PlannedReminder(date: "2026-11-30", count: 2),
            PlannedReminder(date: "2026-12-02", count: 2),
        ])
    }

    func testTodayIsRemindedInTheEveningOnlyIfStillAhead() throws {
        let calendar = Calendar(identifier: .gregorian)
        let morning = try XCTUnwrap(DayFormat.date(from: "2026-11-30")).addingTimeInterval(8 * 3600)
        let night = try XCTUnwrap(DayFormat.date(from: "2026-11-30")).addingTimeInterval(22 * 3600)

        let today = try XCTUnwrap(ReminderPlanner.fireDate(for: "2026-11-30", now: morning, calendar: calendar))
        XCTAssertEqual(today.hour, ReminderPlanner.eveningHour)
        XCTAssertNil(ReminderPlanner.fireDate(for: "2026-11-30", now: night, calendar: calendar))

        let tomorrow = try XCTUnwrap(ReminderPlanner.fireDate(for: "2026-12-01", now: night, calendar: calendar))
        XCTAssertEqual(tomorrow.day, 1)
        XCTAssertEqual(tomorrow.hour, ReminderPlanner.morningHour)
    }
}
