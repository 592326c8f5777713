package org.selfreport.demo.work

import android.Manifest
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.LocaleList
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.content.ContextCompat
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.time.LocalTime
import java.time.ZoneId
import java.time.ZonedDateTime
import java.util.concurrent.TimeUnit
import org.selfreport.SelfReportException
import org.selfreport.demo.MainActivity
import org.selfreport.demo.R
import org.selfreport.demo.core.CoreHolder
import org.selfreport.demo.logic.AppConfig
import org.selfreport.demo.logic.Formatter
import org.selfreport.demo.logic.LabelPicker
import org.selfreport.demo.logic.Reminder

/**
 * Once a day: purges what has passed retention, then posts a reminder listing whose
 * reports are still due (from `due`). It never creates a store, and the notification
 * hides names on the lock screen.
 */
class ReminderWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        if (!CoreHolder.exists(applicationContext)) return Result.success()
        val reminder = try {
            val core = CoreHolder.get(applicationContext)
            core.purge(null)
            val labels = LabelPicker(LocaleList.getDefault().toLanguageTags().split(','))
            val formatter = Formatter(labels, ZoneId.systemDefault())
            val policies = core.policies()
            formatter.reminder(formatter.due(core.due(null), core.profiles(), policies))
        } catch (error: SelfReportException) {
            // A lost key or an erased store is the app's to show; nothing to remind of.
            return Result.success()
        }
        if (reminder != null) notify(applicationContext, reminder)
        return Result.success()
    }

    /** Scheduling and the notification channel. */
    companion object {
        private const val NAME = "selfreport-reminders"
        private const val CHANNEL = "reminders"
        private const val NOTIFICATION_ID = 1
        private val AT: LocalTime = LocalTime.of(9, 0)

        /** Schedules the daily run at about 09:00 local time (kept if already scheduled). */
        fun schedule(context: Context) {
            val delay = AppConfig.delayUntil(ZonedDateTime.now(), AT)
            val request = PeriodicWorkRequestBuilder<ReminderWorker>(1, TimeUnit.DAYS)
                .setInitialDelay(delay.toMinutes(), TimeUnit.MINUTES)
                .build()
            WorkManager.getInstance(context).enqueueUniquePeriodicWork(NAME, ExistingPeriodicWorkPolicy.UPDATE, request)
        }

        /** Creates the reminder channel (needed before posting on Android 8+). */
        fun createChannel(context: Context) {
            val channel = NotificationChannel(
                CHANNEL,
                context.getString(R.string.reminder_channel),
                NotificationManager.IMPORTANCE_DEFAULT,
            )
            context.getSystemService(NotificationManager::class.java).createNotificationChannel(channel)
        }

        private fun notify(context: Context, reminder: Reminder) {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU &&
                ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) !=
                PackageManager.PERMISSION_GRANTED
            ) {
                return
            }
            val open = PendingIntent.getActivity(
                context,
                0,
                Intent(context, MainActivity::class.java).addFlags(Intent.FLAG_ACTIVITY_SINGLE_TOP),
                PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
            )
            val title = context.resources.getQuantityString(R.plurals.reminder_title, reminder.count, reminder.count)
            val names = reminder.names.joinToString(context.getString(R.string.list_separator))
            val public = NotificationCompat.Builder(context, CHANNEL)
                .setSmallIcon(R.drawable.ic_notification)
                .setContentTitle(title)
                .build()
            val notification = NotificationCompat.Builder(context, CHANNEL)
                .setSmallIcon(R.drawable.ic_notification)
                .setContentTitle(title)
                .setContentText(context.getString(R.string.reminder_text, names))
                .setContentIntent(open)
                .setAutoCancel(true)
                .setVisibility(NotificationCompat.VISIBILITY_PRIVATE)
                .setPublicVersion(public)
                .build()
            NotificationManagerCompat.from(context).notify(NOTIFICATION_ID, notification)
        }
    }
}
