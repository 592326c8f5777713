package org.selfreport.bindings

import com.sun.jna.Platform
import java.io.File
import java.nio.file.Files
import java.util.zip.ZipFile
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import kotlinx.coroutines.runBlocking
import org.selfreport.OpenOptions
import org.selfreport.SelfReport
import org.selfreport.SelfReportException
import org.selfreport.libraryVersion
import org.selfreport.passphraseKeySource
import org.selfreport.storeExists

/**
 * The suite runs against the package an app gets: the selfreport-jvm jar from the local
 * Maven repository, with the native library inside it, at the workspace's version.
 */
class PackageTest {
    private val jar: File = File(SelfReport::class.java.protectionDomain.codeSource.location.toURI())

    private fun workspaceVersion(): String {
        val cargo = Files.readString(targetDir.resolve("../../Cargo.toml").normalize())
        val section = cargo.substringAfter("[workspace.package]")
        return Regex("(?m)^version = \"([^\"]+)\"").find(section)!!.groupValues[1]
    }

    @Test
    fun `the bindings come from the installed jar at the workspace version`() {
        val version = workspaceVersion()
        assertTrue(jar.isFile, "$jar")
        assertEquals("selfreport-jvm-$version.jar", jar.name)
        val repositoryPath = jar.parentFile.toPath()
        assertTrue(
            repositoryPath.endsWith("org/selfreport/selfreport-jvm/$version"),
            "not from a Maven repository: $jar",
        )
    }

    @Test
    fun `the jar carries the host library at JNA's resource path`() {
        val entry = "${Platform.RESOURCE_PREFIX}/${System.mapLibraryName("selfreport_ffi")}"
        ZipFile(jar).use { zip ->
            val library = zip.getEntry(entry)
            assertNotNull(library, "$jar has no $entry")
            assertTrue(library.size > 1_000_000, "$entry is ${library.size} bytes")
        }
    }

    @Test
    fun `the library loaded is the one from the jar, not the cargo output`() {
        assumeTrue(File("/proc/self/maps").exists(), "reads the process's mappings (Linux)")
        storeExists(Files.createTempDirectory("package").toString()) // loads the library
        // "address perms offset dev inode   /path", with " (deleted)" after a removed file.
        val mapped = File("/proc/self/maps").readLines()
            .map { it.split(Regex("\\s+"), limit = 6).getOrElse(5) { "" }.removeSuffix(" (deleted)") }
            .filter { it.startsWith("/") }
            .toSet()
        // A library loaded from a directory (the cargo output, jna.library.path, the system)
        // is mapped under its own name. JNA extracts a library it finds in a jar to a
        // temporary file (jna<digits>.tmp in its cache directory), loads and deletes it:
        // two of those are mapped, its own dispatch library and ours.
        assertTrue(mapped.none { it.contains("selfreport_ffi") }, "$mapped")
        val extracted = mapped.filter { File(it).name.matches(Regex("jna-?\\d+\\.(tmp|so|dylib)")) }
        assertEquals(2, extracted.size, "$mapped")
    }

    @Test
    fun `the library and the bindings are of the workspace version`() {
        assertEquals(workspaceVersion(), libraryVersion())
        assertEquals(workspaceVersion(), OpenOptions(trustAnchors = emptyList(), extraRootsDer = emptyList()).bindingsVersion)
    }

    @Test
    fun `open refuses bindings of another release before touching the store`() {
        val store = Files.createTempDirectory("version").resolve("store")
        val options = OpenOptions(trustAnchors = emptyList(), extraRootsDer = emptyList(), bindingsVersion = "0.0.9")
        val refused = assertThrows(SelfReportException.Incompatible::class.java) {
            runBlocking { SelfReport.open(store.toString(), passphraseKeySource("a passphrase", 1000u), options) }
        }
        assertEquals("BindingsVersion", refused.code)
        assertTrue(refused.detail.contains("selfreport 0.0.9"), refused.detail)
        assertTrue(refused.detail.contains("selfreport ${workspaceVersion()}"), refused.detail)
        assertFalse(Files.exists(store))
    }
}
