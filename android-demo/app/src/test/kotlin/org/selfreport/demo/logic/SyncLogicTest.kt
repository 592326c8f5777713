package org.selfreport.demo.logic

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.selfreport.SubmissionId
import org.selfreport.SelfReportException
import org.selfreport.SyncEvent
import org.selfreport.SyncSummary

class SyncLogicTest {
    private fun summary(delivered: UInt = 0u, retryLater: UInt = 0u, failed: UInt = 0u, cancelled: Boolean = false) =
        SyncSummary(0u, delivered, retryLater, failed, cancelled)

    @Test
    fun `work succeeds when nothing waits and retries while something does`() {
        assertEquals(WorkOutcome.SUCCESS, SyncDecision.outcome(summary(delivered = 2u)))
        assertEquals(WorkOutcome.SUCCESS, SyncDecision.outcome(summary(failed = 1u)))
        assertEquals(WorkOutcome.RETRY, SyncDecision.outcome(summary(delivered = 1u, retryLater = 1u)))
        assertEquals(WorkOutcome.RETRY, SyncDecision.outcome(summary(cancelled = true)))
    }

    @Test
    fun `passing failures retry, a lost key or an erased store do not`() {
        assertEquals(WorkOutcome.RETRY, SyncDecision.outcome(SelfReportException.Network("Timeout", "timed out")))
        assertEquals(WorkOutcome.RETRY, SyncDecision.outcome(SelfReportException.KeySourceFailed("KeySourceFailed", "locked")))
        assertEquals(WorkOutcome.RETRY, SyncDecision.outcome(SelfReportException.Conflict("Busy", "erasing")))
        assertEquals(WorkOutcome.FAILURE, SyncDecision.outcome(SelfReportException.KeyUnavailable("KeyUnavailable", "gone")))
        assertEquals(WorkOutcome.FAILURE, SyncDecision.outcome(SelfReportException.Closed("Closed", "erased")))
        assertEquals(WorkOutcome.FAILURE, SyncDecision.outcome(IllegalStateException("bug")))
    }

    @Test
    fun `sync messages count what was delivered or left`() {
        assertEquals(UiMessage(MessageCode.SYNC_DONE, count = 2), SyncDecision.message(summary(delivered = 2u)))
        assertEquals(UiMessage(MessageCode.SYNC_RETRY_LATER, count = 3), SyncDecision.message(summary(retryLater = 2u, failed = 1u)))
        assertEquals(null, SyncDecision.message(summary()))
        // Access notices come first: someone saw who the person is.
        val noticed = SyncSummary(0u, 2u, 1u, 0u, false, 1u)
        assertEquals(UiMessage(MessageCode.ACCESS_NOTICES, count = 1), SyncDecision.message(noticed))
    }

    @Test
    fun `the runner reports progress event by event and returns the summary`() = runBlocking {
        val core = FakeCore()
        core.syncEvents = listOf(
            SyncEvent.Queued(SubmissionId("s1"), Fixtures.POLICY_ID, "daily"),
            SyncEvent.Delivered(SubmissionId("s1"), "2026-11-28T01:30:05Z"),
            SyncEvent.Queued(SubmissionId("s2"), Fixtures.POLICY_ID, "daily"),
            SyncEvent.RetryLater(SubmissionId("s2"), 30uL, "503"),
        )
        core.syncResult = Result.success(summary(delivered = 1u, retryLater = 1u))
        val seen = mutableListOf<SyncProgress>()
        val runner = SyncRunner { seen += it }
        assertEquals(WorkOutcome.RETRY, runner.runForWork(core))
        assertEquals(SyncProgress(queued = 2, delivered = 1, retryLater = 1), seen.last())
        assertEquals(4, seen.size)
    }

    @Test
    fun `the runner turns core errors into results`() = runBlocking {
        val core = FakeCore()
        core.syncResult = Result.failure(SelfReportException.Network("Pin", "pin refused"))
        val result = SyncRunner().run(core)
        assertTrue(result.exceptionOrNull() is SelfReportException.Network)
        core.syncResult = Result.failure(SelfReportException.KeyUnavailable("KeyUnavailable", "gone"))
        assertEquals(WorkOutcome.FAILURE, SyncRunner().runForWork(core))
    }

    @Test
    fun `cancelling the coroutine cancels the sync and is not swallowed`() {
        val core = FakeCore()
        core.syncGate = CompletableDeferred()
        var cancelledInCore = 0
        assertThrows<CancellationException> {
            runBlocking {
                val job = async { SyncRunner().run(core, onCoroutineCancelled = { cancelledInCore++ }) }
                yield()
                job.cancel()
                job.await()
            }
        }
        assertEquals(1, cancelledInCore)
    }
}
