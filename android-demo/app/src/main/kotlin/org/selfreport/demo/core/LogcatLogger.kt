package org.selfreport.demo.core

import android.util.Log
import org.selfreport.LogLevel
import org.selfreport.Logger

/**
 * Sends the core's log lines to Logcat. The core logs operation names, counts and error
 * codes only, never an answer, a profile attribute or a key.
 */
class LogcatLogger(private val minimum: LogLevel) : Logger {
    override fun log(level: LogLevel, target: String, message: String) {
        if (level.ordinal < minimum.ordinal) return
        when (level) {
            LogLevel.DEBUG -> Log.d(target, message)
            LogLevel.INFO -> Log.i(target, message)
            LogLevel.WARN -> Log.w(target, message)
        }
    }
}
