package org.selfreport.demo

import android.app.Application
import android.os.LocaleList
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import androidx.work.WorkInfo
import androidx.work.WorkManager
import java.time.ZoneId
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.selfreport.demo.core.AndroidCoreGateway
import org.selfreport.demo.logic.AppModel
import org.selfreport.demo.logic.AppState
import org.selfreport.demo.logic.Formatter
import org.selfreport.demo.logic.LabelPicker
import org.selfreport.demo.work.AndroidWorkScheduler
import org.selfreport.demo.work.SyncWorker

/**
 * Holds the [AppModel] across configuration changes and runs its actions one at a time
 * in `viewModelScope`, on the main thread: the core's long calls (open, sync, listing,
 * export, erase...) suspend while it works on its own threads, and its blocking calls are
 * short store reads and writes (docs/integration-android.md lists them). Reloads when a
 * background sync finishes.
 */
class DemoViewModel(application: Application) : AndroidViewModel(application) {
    /** One action at a time: each reads the state the previous one left. */
    private val serial = Mutex()
    private val labels = LabelPicker(LocaleList.getDefault().toLanguageTags().split(','))
    private val model = AppModel(
        gateway = AndroidCoreGateway(application),
        scheduler = AndroidWorkScheduler(application),
        labels = labels,
        formatter = Formatter(labels, ZoneId.systemDefault()),
    )

    /** What the UI renders. */
    val state: StateFlow<AppState> = model.state

    init {
        act { start() }
        viewModelScope.launch {
            WorkManager.getInstance(application).getWorkInfosForUniqueWorkFlow(SyncWorker.NAME).collect { infos ->
                if (infos.any { it.state == WorkInfo.State.SUCCEEDED || it.state == WorkInfo.State.ENQUEUED }) {
                    act { refresh() }
                }
            }
        }
    }

    /** Runs [action] on the model, after any action still running. */
    fun act(action: suspend AppModel.() -> Unit) {
        viewModelScope.launch { serial.withLock { model.action() } }
    }

    /**
     * Runs a pure state change ([AppModel.edit], [AppModel.editProfile]...) at once on the
     * calling thread, so text fields see their new value in the same frame.
     */
    fun now(change: AppModel.() -> Unit) = model.change()
}
