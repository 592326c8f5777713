package org.selfreport.demo.core

import android.content.Context
import java.io.File
import java.io.FileNotFoundException
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.selfreport.OpenOptions
import org.selfreport.SelfReport
import org.selfreport.SelfReportInterface
import org.selfreport.demo.BuildConfig
import org.selfreport.android.AndroidKeystoreKeySource
import org.selfreport.demo.logic.AppConfig
import org.selfreport.demo.logic.CoreGateway
import org.selfreport.eraseStore
import org.selfreport.storeExists

/**
 * The one `SelfReport` of the process, shared by the UI and the background workers
 * (the object is safe to call from any thread; two objects on one store are not needed).
 * Opening and erasing suspend while the core works on its own threads; [lock] keeps two
 * callers from opening the store twice.
 */
object CoreHolder {
    private val lock = Mutex()
    private var core: SelfReport? = null

    /** Where the store lives: excluded from backups, so it never travels without its key. */
    fun storeDir(context: Context): String = File(context.noBackupFilesDir, "selfreport").path

    /** The AAR's Keystore key source under the alias the demo has always used. */
    private fun keySource(context: Context) =
        AndroidKeystoreKeySource(context, alias = "org.selfreport.demo.store-key")

    /** Whether a store exists (workers check this so they never create one). */
    fun exists(context: Context): Boolean = storeExists(storeDir(context))

    /**
     * The open core, opening (or on first use creating) the store on the core's threads.
     * Throws `SelfReportException`.
     */
    suspend fun get(context: Context): SelfReport {
        lock.withLock {
            core?.let { return it }
            val app = context.applicationContext
            val opened = SelfReport.open(storeDir(app), keySource(app), options(app))
            core = opened
            return opened
        }
    }

    /**
     * Forgets [released] (its store was erased) and deletes its Keystore key. The object
     * is not `close()`d: a worker may still hold it, and an erased object answers every
     * call with `SelfReportException.Closed` (which the workers handle), where a
     * destroyed one would throw `IllegalStateException`. The JVM frees it when unreachable.
     */
    suspend fun release(context: Context, released: SelfReportInterface) {
        lock.withLock {
            if (core === released) {
                core = null
            }
            keySource(context.applicationContext).deleteKey()
        }
    }

    /** The reset path after the key was lost: deletes the store unopened, then its key. */
    suspend fun eraseUnopened(context: Context) {
        lock.withLock {
            // Normally none is open (the key was lost). If one is, it erases through itself,
            // so whoever still holds it gets `Closed` instead of a store deleted underneath it.
            core?.let { opened -> runCatching { opened.erase() } }
            core = null
            eraseStore(storeDir(context))
            keySource(context.applicationContext).deleteKey()
        }
    }

    /**
     * Trust anchors from `assets/trust-anchors.txt` (none if the file is missing); in debug builds, extra CA
     * certificates from `assets/dev-roots/` (for a drop box on a development machine).
     */
    private fun options(context: Context): OpenOptions {
        // No file: no trusted authority, so every policy is refused and the app says so.
        // A file that does not parse throws: the app must not run on a misread trust list.
        val anchors = try {
            context.assets.open(TRUST_ANCHORS).bufferedReader().use { AppConfig.parseTrustAnchors(it.readText()) }
        } catch (missing: FileNotFoundException) {
            emptyList()
        }
        val roots = if (BuildConfig.DEBUG) {
            context.assets.list(DEV_ROOTS).orEmpty().filter { it.endsWith(".der") }
                .map { name -> context.assets.open("$DEV_ROOTS/$name").use { it.readBytes() } }
        } else {
            emptyList()
        }
        return OpenOptions(trustAnchors = anchors, extraRootsDer = roots)
    }

    private const val TRUST_ANCHORS = "trust-anchors.txt"
    private const val DEV_ROOTS = "dev-roots"
}

/** The [CoreGateway] of the app: [CoreHolder] plus the policies shipped in `assets/policies/`. */
class AndroidCoreGateway(private val context: Context) : CoreGateway {
    override suspend fun open(): SelfReportInterface = CoreHolder.get(context)

    override suspend fun eraseStore() = CoreHolder.eraseUnopened(context)

    override suspend fun release(core: SelfReportInterface) = CoreHolder.release(context, core)

    override fun bundledPolicies(): List<ByteArray> =
        context.assets.list(POLICIES).orEmpty().filter { it.endsWith(".json") }.sorted()
            .map { name -> context.assets.open("$POLICIES/$name").use { it.readBytes() } }

    private companion object {
        const val POLICIES = "policies"
    }
}
