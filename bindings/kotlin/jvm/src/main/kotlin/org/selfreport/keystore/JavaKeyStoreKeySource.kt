package org.selfreport.keystore

import java.io.IOException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.selfreport.KeySource
import org.selfreport.KeySourceException

/**
 * A [KeySource] that wraps the store key with an AES-256-GCM key kept in a Java KeyStore
 * (a PKCS12 file): the JVM counterpart of the Android Keystore key source, written the same
 * way so the Android one can mirror it line for line.
 *
 * A wrapped blob is `IV (12 bytes) || ciphertext || tag (16 bytes)`. The IV is chosen by the
 * cipher at random on every wrap (as the Android Keystore insists); the associated data names
 * the purpose ([aad]), so a blob made for another purpose with the same key does not open.
 *
 * Errors map to what the core expects:
 * - a blob that does not authenticate under this key → [KeySourceException.WrongKey];
 * - a key store file or an alias that is gone → [KeySourceException.Unavailable] (the store
 *   can then only be reset, see `eraseStore`);
 * - anything else (a locked or damaged key store, a provider failure) →
 *   [KeySourceException.Failed].
 *
 * Create the key once with [createKey] before the first `SelfReport.open`.
 */
class JavaKeyStoreKeySource(
    private val keyStoreFile: Path,
    private val storePassword: CharArray,
    private val alias: String,
    purpose: String = DEFAULT_PURPOSE,
) : KeySource {
    private val aad: ByteArray = purpose.toByteArray(Charsets.UTF_8)

    override fun wrap(key: ByteArray): ByteArray {
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, secretKey())
            val iv = cipher.iv
            if (iv == null || iv.size != IV_BYTES) {
                throw KeySourceException.Failed("the cipher chose an IV of ${iv?.size ?: 0} bytes, not $IV_BYTES")
            }
            cipher.updateAAD(aad)
            return iv + cipher.doFinal(key)
        } catch (e: KeySourceException) {
            throw e
        } catch (e: GeneralSecurityException) {
            throw KeySourceException.Failed("wrap: ${e.javaClass.simpleName}")
        } finally {
            key.fill(0)
        }
    }

    override fun unwrap(blob: ByteArray): ByteArray {
        if (blob.size < IV_BYTES + TAG_BYTES) {
            // Not something this source made: it cannot open with this key.
            throw KeySourceException.WrongKey()
        }
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(
                Cipher.DECRYPT_MODE,
                secretKey(),
                GCMParameterSpec(TAG_BYTES * 8, blob, 0, IV_BYTES),
            )
            cipher.updateAAD(aad)
            return cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
        } catch (e: AEADBadTagException) {
            throw KeySourceException.WrongKey()
        } catch (e: KeySourceException) {
            throw e
        } catch (e: GeneralSecurityException) {
            throw KeySourceException.Failed("unwrap: ${e.javaClass.simpleName}")
        }
    }

    /** The AES key under [alias], or `Unavailable` if the key store or the alias is gone. */
    private fun secretKey(): SecretKey {
        val store = load(keyStoreFile, storePassword)
            ?: throw KeySourceException.Unavailable("the key store file is gone")
        val key = try {
            store.getKey(alias, storePassword)
        } catch (e: UnrecoverableKeyException) {
            throw KeySourceException.Failed("the key store refused the key: ${e.javaClass.simpleName}")
        }
        return key as? SecretKey
            ?: throw KeySourceException.Unavailable("no AES key under alias '$alias'")
    }

    companion object {
        /** Associated data of every blob, unless another purpose is given. */
        const val DEFAULT_PURPOSE = "selfreport store key v1"

        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16
        private const val KEY_STORE_TYPE = "PKCS12"

        /**
         * Generates a fresh AES-256 key under [alias] in the PKCS12 file (created if absent),
         * replacing any key already there.
         */
        @JvmStatic
        fun createKey(keyStoreFile: Path, storePassword: CharArray, alias: String) {
            val store = load(keyStoreFile, storePassword)
                ?: KeyStore.getInstance(KEY_STORE_TYPE).apply { load(null, storePassword) }
            val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
            store.setEntry(
                alias,
                KeyStore.SecretKeyEntry(key),
                KeyStore.PasswordProtection(storePassword),
            )
            save(store, keyStoreFile, storePassword)
        }

        /** Whether the file holds a key under [alias]. */
        @JvmStatic
        fun hasKey(keyStoreFile: Path, storePassword: CharArray, alias: String): Boolean =
            load(keyStoreFile, storePassword)?.containsAlias(alias) ?: false

        /** Deletes the key under [alias], as a keystore reset would. */
        @JvmStatic
        fun deleteKey(keyStoreFile: Path, storePassword: CharArray, alias: String) {
            val store = load(keyStoreFile, storePassword) ?: return
            store.deleteEntry(alias)
            save(store, keyStoreFile, storePassword)
        }

        /** The key store in the file, or null if there is no file. */
        private fun load(keyStoreFile: Path, storePassword: CharArray): KeyStore? {
            val store = KeyStore.getInstance(KEY_STORE_TYPE)
            try {
                Files.newInputStream(keyStoreFile).use { store.load(it, storePassword) }
            } catch (e: NoSuchFileException) {
                return null
            } catch (e: IOException) {
                throw KeySourceException.Failed("the key store could not be read: ${e.javaClass.simpleName}")
            } catch (e: GeneralSecurityException) {
                throw KeySourceException.Failed("the key store could not be read: ${e.javaClass.simpleName}")
            }
            return store
        }

        /** Writes the key store beside the file and moves it into place. */
        private fun save(store: KeyStore, keyStoreFile: Path, storePassword: CharArray) {
            val parent = keyStoreFile.toAbsolutePath().parent
            Files.createDirectories(parent)
            val temporary = Files.createTempFile(parent, keyStoreFile.fileName.toString(), ".tmp")
            try {
                Files.newOutputStream(temporary).use { store.store(it, storePassword) }
                Files.move(temporary, keyStoreFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
            } finally {
                Files.deleteIfExists(temporary)
            }
        }
    }
}
