package org.selfreport.bindings

import java.nio.file.Files
import java.nio.file.Path
import java.security.SecureRandom
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.selfreport.KeySourceException
import org.selfreport.keystore.JavaKeyStoreKeySource

/** The Java KeyStore key source on its own: the format and every error it maps. */
class JavaKeyStoreKeySourceTest {
    @TempDir
    lateinit var tmp: Path

    private fun storeKey() = ByteArray(32).also { SecureRandom().nextBytes(it) }

    @Test
    fun `wrap and unwrap round-trip with a fresh 12-byte IV each time`() {
        val keys = tmp.resolve("keys.p12")
        createKey(keys)
        val source = keySource(keys)
        val key = storeKey()
        val first = source.wrap(key.copyOf())
        val second = source.wrap(key.copyOf())
        assertEquals(12 + 32 + 16, first.size, "IV, the key, the GCM tag")
        assertFalse(first.copyOfRange(0, 12).contentEquals(second.copyOfRange(0, 12)), "a new IV per wrap")
        assertFalse(first.contentEquals(second))
        assertArrayEquals(key, source.unwrap(first))
        assertArrayEquals(key, source.unwrap(second))
        // A new instance over the same file opens it too (the key lives in the file, not the object).
        assertArrayEquals(key, keySource(keys).unwrap(first))
    }

    @Test
    fun `the bytes handed to wrap are zeroed afterwards`() {
        val keys = tmp.resolve("keys.p12")
        createKey(keys)
        val given = storeKey()
        keySource(keys).wrap(given)
        assertTrue(given.all { it == 0.toByte() })
    }

    @Test
    fun `another key, another purpose or a changed byte is WrongKey`() {
        val keys = tmp.resolve("keys.p12")
        createKey(keys)
        createKey(keys, "other")
        val blob = keySource(keys).wrap(storeKey())
        assertThrows<KeySourceException.WrongKey> { keySource(keys, "other").unwrap(blob) }
        val otherPurpose = JavaKeyStoreKeySource(keys, STORE_PASSWORD.toCharArray(), ALIAS, "another purpose")
        assertThrows<KeySourceException.WrongKey> { otherPurpose.unwrap(blob) }
        for (index in listOf(0, 11, 12, 30, blob.size - 1)) {
            val tampered = blob.copyOf()
            tampered[index] = (tampered[index].toInt() xor 1).toByte()
            assertThrows<KeySourceException.WrongKey>("byte $index") { keySource(keys).unwrap(tampered) }
        }
        assertThrows<KeySourceException.WrongKey> { keySource(keys).unwrap(blob.copyOf(20)) }
    }

    @Test
    fun `a missing alias or key store file is Unavailable`() {
        val keys = tmp.resolve("keys.p12")
        createKey(keys)
        val blob = keySource(keys).wrap(storeKey())
        assertTrue(JavaKeyStoreKeySource.hasKey(keys, STORE_PASSWORD.toCharArray(), ALIAS))
        JavaKeyStoreKeySource.deleteKey(keys, STORE_PASSWORD.toCharArray(), ALIAS)
        assertFalse(JavaKeyStoreKeySource.hasKey(keys, STORE_PASSWORD.toCharArray(), ALIAS))
        assertThrows<KeySourceException.Unavailable> { keySource(keys).unwrap(blob) }
        assertThrows<KeySourceException.Unavailable> { keySource(keys).wrap(storeKey()) }
        Files.delete(keys)
        assertThrows<KeySourceException.Unavailable> { keySource(keys).unwrap(blob) }
    }

    @Test
    fun `a key store that cannot be read is Failed, not Unavailable`() {
        val keys = tmp.resolve("keys.p12")
        createKey(keys)
        val blob = keySource(keys).wrap(storeKey())
        val wrongPassword = JavaKeyStoreKeySource(keys, "not the password".toCharArray(), ALIAS)
        assertThrows<KeySourceException.Failed> { wrongPassword.unwrap(blob) }
        Files.write(keys, byteArrayOf(1, 2, 3))
        assertThrows<KeySourceException.Failed> { keySource(keys).unwrap(blob) }
    }
}
