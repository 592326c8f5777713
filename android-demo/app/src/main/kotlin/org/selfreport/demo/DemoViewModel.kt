package org.selfreport.demo

import android.app.Application
import android.os.LocaleList
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import androidx.work.WorkInfo
import androidx.work.WorkManager
import java.time.ZoneId
import java.util.concurrent.Executors
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch
import org.selfreport.demo.core.AndroidCoreGateway
import org.selfreport.demo.logic.AppModel
import org.selfreport.demo.logic.AppState
import org.selfreport.demo.logic.Formatter
import org.selfreport.demo.logic.LabelPicker
import org.selfreport.demo.work.AndroidWorkScheduler
import org.selfreport.demo.work.SyncWorker

/**
 * Holds the [AppModel] across configuration changes and runs its actions one at a time
 * off the main thread (the core's calls block for milliseconds; none may run on the UI
 * thread). Reloads when a background sync finishes.
 */
class DemoViewModel(application: Application) : AndroidViewModel(application) {
    private val executor = Executors.newSingleThreadExecutor()
    private val serial = executor.asCoroutineDispatcher()
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
    fun act(action: AppModel.() -> Unit) {
        viewModelScope.launch(serial) { model.action() }
    }

    /**
     * Runs a pure state change ([AppModel.edit], [AppModel.editProfile]...) at once on the
     * calling thread, so text fields see their new value in the same frame.
     */
    fun now(change: AppModel.() -> Unit) = model.change()

    override fun onCleared() {
        executor.shutdown()
    }
}
