package org.selfreport.bindings

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.selfreport.NewProfile
import org.selfreport.OpenOptions
import org.selfreport.SelfReport
import org.selfreport.TrustAnchor
import org.selfreport.keystore.JavaKeyStoreKeySource

/** The cargo output directory holding libselfreport_ffi.so and the test binaries. */
val targetDir: Path =
    Path.of(System.getProperty("selfreport.target.dir") ?: "../../target/debug").toAbsolutePath().normalize()

/** A typed value that must never leave the store in a log line, a preview part or an error. */
const val NOTE_CANARY = "canary-note-7f3a9c"
const val NAME = "王芳"
const val PHONE = "+8613800138000"

/** The household member most tests use. */
fun mum() = NewProfile(
    displayName = "Mum",
    name = NAME,
    idNumber = null,
    phone = PHONE,
    birthDate = null,
    passportNumber = null,
)

/**
 * What `selfreport-fixture --out DIR` made: keys, a test PKI, the signed daily-report
 * policy pointed at a loopback drop box, and the command that starts that drop box.
 */
class Fixture private constructor(val dir: Path, json: JsonObject) {
    val trustAnchor: String = json.string("trust_anchor")
    val caDer: ByteArray = Files.readAllBytes(Path.of(json.string("ca_der")))
    val signedPolicy: ByteArray = Files.readAllBytes(Path.of(json.string("signed_policy")))
    val untrustedPolicy: ByteArray = Files.readAllBytes(Path.of(json.string("untrusted_policy")))
    /** Version 2 of the policy by the same authority, letting more leave (the temperature as typed). */
    val widerPolicyV2: ByteArray = Files.readAllBytes(Path.of(json.string("wider_policy_v2")))
    /** The root's revocation list revoking the version `signedPolicy` is. */
    val revocations: ByteArray = Files.readAllBytes(Path.of(json.string("revocations")))
    /** A `selfreport.policy/2` whose daily form only enrolled people file (issue 14). */
    val enrollmentPolicy: ByteArray = Files.readAllBytes(Path.of(json.string("enrollment_policy")))
    /** An enrollment order for it, signed by the authority; and one signed by an untrusted key. */
    val enrollmentOrder: ByteArray = Files.readAllBytes(Path.of(json.string("enrollment_order")))
    val untrustedEnrollmentOrder: ByteArray =
        Files.readAllBytes(Path.of(json.string("untrusted_enrollment_order")))
    val policyId: String = json.string("policy_id")
    val formId: String = json.string("form_id")
    val endpointUrl: String = json.string("endpoint_url")
    val endpointCommand: List<String> = json.getValue("endpoint_command").jsonArray.map { it.jsonPrimitive.content }
    val answers: Map<String, String> =
        json.getValue("answers").jsonObject.mapValues { it.value.jsonPrimitive.content }

    /** The port the policy sends to (the drop box must listen there). */
    val port: Int = Regex(":(\\d+)/").find(endpointUrl)?.groupValues?.get(1)?.toInt()
        ?: error("no port in $endpointUrl")

    /** Options that trust the fixture's authority key and its test CA. */
    fun options() = OpenOptions(
        trustAnchors = listOf(TrustAnchor(publicKey = trustAnchor, notBefore = null, notAfter = null)),
        extraRootsDer = listOf(caDer),
    )

    companion object {
        /** Runs the fixture binary into [dir] and reads its description. */
        fun make(dir: Path): Fixture {
            val binary = targetDir.resolve("selfreport-fixture")
            check(Files.isExecutable(binary)) {
                "$binary is missing: run `cargo build -p selfreport-tests --bins` (and `cargo build --workspace --bins`)"
            }
            val process = ProcessBuilder(binary.toString(), "--out", dir.toString())
                .redirectErrorStream(true)
                .start()
            val output = process.inputStream.bufferedReader().readText()
            check(process.waitFor(60, TimeUnit.SECONDS)) { "selfreport-fixture did not finish" }
            check(process.exitValue() == 0) { "selfreport-fixture failed: $output" }
            val json = Json.parseToJsonElement(Files.readString(dir.resolve("fixture.json"))).jsonObject
            return Fixture(dir, json)
        }

        private fun JsonObject.string(key: String) = getValue(key).jsonPrimitive.content
    }
}

/**
 * A real `selfreport-endpoint serve` process on loopback, started from the fixture's
 * command and ready once it printed its "listening on" line. Killed by [close].
 */
class Endpoint private constructor(private val process: Process, val log: File) : AutoCloseable {
    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            process.waitFor(10, TimeUnit.SECONDS)
        }
    }

    companion object {
        fun start(fixture: Fixture): Endpoint {
            val log = fixture.dir.resolve("endpoint.stderr").toFile()
            val process = ProcessBuilder(fixture.endpointCommand)
                .redirectError(log)
                .start()
            val lines = LinkedBlockingQueue<String>()
            val reader = Thread {
                // Keeps draining stdout so the drop box never blocks on a full pipe.
                process.inputStream.bufferedReader().forEachLine { lines.put(it) }
            }
            reader.isDaemon = true
            reader.start()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
            while (System.nanoTime() < deadline) {
                val line = lines.poll(100, TimeUnit.MILLISECONDS)
                if (line != null && line.contains("listening on")) return Endpoint(process, log)
                if (line == null && !process.isAlive) break
            }
            process.destroyForcibly()
            error("the drop box did not start: ${log.readText()}")
        }
    }
}

/** A store opened with a fresh Java KeyStore key, the policy installed, one monitored profile. */
class OpenedStore(val dir: Path, val keys: Path, val core: SelfReport, val profileId: org.selfreport.ProfileId)

const val STORE_PASSWORD = "test-keystore-password"
const val ALIAS = "selfreport-store"

fun keySource(keys: Path, alias: String = ALIAS) =
    JavaKeyStoreKeySource(keys, STORE_PASSWORD.toCharArray(), alias)

fun createKey(keys: Path, alias: String = ALIAS) =
    JavaKeyStoreKeySource.createKey(keys, STORE_PASSWORD.toCharArray(), alias)

/** Opens a new store under [root] with the fixture's policy installed and [mum] monitored. */
suspend fun openStore(root: Path, fixture: Fixture): OpenedStore {
    val keys = root.resolve("keys.p12")
    val dir = root.resolve("store")
    createKey(keys)
    val core = SelfReport.open(dir.toString(), keySource(keys), fixture.options())
    core.installPolicy(fixture.signedPolicy)
    val profileId = core.addProfile(mum())
    core.startMonitoring(profileId, fixture.policyId, null, org.selfreport.MonitoringReason.ARRIVAL)
    return OpenedStore(dir, keys, core, profileId)
}

/** The regular files left under [dir] (none, or no directory at all, after an erase). */
fun filesUnder(dir: Path): List<Path> =
    if (!Files.exists(dir)) emptyList() else Files.walk(dir).use { s -> s.filter { Files.isRegularFile(it) }.toList() }

/**
 * A store with the fixture's policy installed and consented, and [profiles] monitored
 * household members who each saved a daily report on each of [days] days: `profiles * days`
 * submissions ready to send.
 */
suspend fun storeWithRecords(root: Path, fixture: Fixture, profiles: Int, days: Int): OpenedStore {
    val store = openStore(root, fixture)
    val core = store.core
    core.grantConsent(fixture.policyId)
    val first = core.today().minusDays((days - 1).toLong())
    repeat(profiles) { member ->
        val profile = core.addProfile(mum().copy(displayName = "member $member"))
        core.startMonitoring(profile, fixture.policyId, first, org.selfreport.MonitoringReason.SELF_REPORTED)
        repeat(days) { day ->
            core.saveRecord(profile, fixture.policyId, fixture.formId, first.plusDays(day.toLong()), fixture.answers)
        }
    }
    return store
}
