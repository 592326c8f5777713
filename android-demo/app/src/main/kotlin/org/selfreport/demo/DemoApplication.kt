package org.selfreport.demo

import android.app.Application
import org.selfreport.LogLevel
import org.selfreport.demo.core.LogcatLogger
import org.selfreport.demo.work.ReminderWorker
import org.selfreport.setLogger

/** Routes the core's logs to Logcat, creates the reminder channel, schedules reminders. */
class DemoApplication : Application() {
    override fun onCreate() {
        super.onCreate()
        setLogger(LogcatLogger(if (BuildConfig.DEBUG) LogLevel.DEBUG else LogLevel.INFO))
        ReminderWorker.createChannel(this)
        ReminderWorker.schedule(this)
    }
}
