package org.selfreport.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.KeyStoreException
import java.security.ProviderException
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.selfreport.KeySource
import org.selfreport.KeySourceException

/**
 * The store key wrapped by a non-exportable AES-256-GCM key in the Android Keystore
 * (StrongBox when the device has one).
 *
 * Blob format: version byte `1`, the 12-byte IV the Keystore chose, then ciphertext and
 * 16-byte tag; the associated data names this format, so a blob from anything else
 * does not open.
 *
 * Errors, as the core expects them:
 * - the key is gone (app data restored to another device, a keystore reset, a lock
 *   screen change that invalidated it): [KeySourceException.Unavailable]; the app
 *   offers `eraseStore` and starts afresh;
 * - the blob does not open with this key (a blob made under a key since replaced):
 *   [KeySourceException.WrongKey];
 * - anything else (a keystore that is busy or failing): [KeySourceException.Failed],
 *   which the app may retry.
 *
 * The key needs no user authentication so background sync can open the store; the store
 * lives in `noBackupFilesDir` and the app disables backup, so a blob never travels
 * without its key silently.
 */
class AndroidKeystoreKeySource(
    private val context: Context,
    private val alias: String = DEFAULT_ALIAS,
) : KeySource {
    override fun wrap(key: ByteArray): ByteArray {
        try {
            val secret = existingKey() ?: createKey()
            val cipher = Cipher.getInstance(TRANSFORMATION)
            // The Keystore requires randomized encryption: it picks the IV itself.
            cipher.init(Cipher.ENCRYPT_MODE, secret)
            cipher.updateAAD(AAD)
            val iv = cipher.iv
            if (iv == null || iv.size != IV_BYTES) throw KeySourceException.Failed("unexpected IV from the keystore")
            val sealed = cipher.doFinal(key)
            return byteArrayOf(VERSION) + iv + sealed
        } catch (error: KeyPermanentlyInvalidatedException) {
            throw KeySourceException.Unavailable("the keystore key was permanently invalidated")
        } catch (error: UnrecoverableKeyException) {
            throw KeySourceException.Unavailable("the keystore key cannot be recovered")
        } catch (error: GeneralSecurityException) {
            throw KeySourceException.Failed("keystore wrap failed: ${error.javaClass.simpleName}")
        } catch (error: ProviderException) {
            throw KeySourceException.Failed("keystore wrap failed: ${error.javaClass.simpleName}")
        } finally {
            key.fill(0)
        }
    }

    override fun unwrap(blob: ByteArray): ByteArray {
        // A blob of another shape was not made here: to this source it is a wrong key.
        if (blob.size < 1 + IV_BYTES + TAG_BYTES || blob[0] != VERSION) throw KeySourceException.WrongKey()
        val secret = try {
            existingKey()
        } catch (error: UnrecoverableKeyException) {
            throw KeySourceException.Unavailable("the keystore key cannot be recovered")
        } catch (error: GeneralSecurityException) {
            throw KeySourceException.Failed("keystore unavailable: ${error.javaClass.simpleName}")
        } ?: throw KeySourceException.Unavailable("no keystore key under the app's alias")
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, secret, GCMParameterSpec(TAG_BYTES * 8, blob, 1, IV_BYTES))
            cipher.updateAAD(AAD)
            return cipher.doFinal(blob, 1 + IV_BYTES, blob.size - 1 - IV_BYTES)
        } catch (error: AEADBadTagException) {
            throw KeySourceException.WrongKey()
        } catch (error: KeyPermanentlyInvalidatedException) {
            throw KeySourceException.Unavailable("the keystore key was permanently invalidated")
        } catch (error: GeneralSecurityException) {
            throw KeySourceException.Failed("keystore unwrap failed: ${error.javaClass.simpleName}")
        } catch (error: ProviderException) {
            throw KeySourceException.Failed("keystore unwrap failed: ${error.javaClass.simpleName}")
        }
    }

    /**
     * Deletes the key. Call it after the store was erased: a new store then gets a new
     * key, and a key the platform invalidated does not fail every wrap after a reset.
     */
    fun deleteKey() {
        try {
            keyStore().deleteEntry(alias)
        } catch (error: KeyStoreException) {
            throw KeySourceException.Failed("could not delete the keystore key: ${error.javaClass.simpleName}")
        }
    }

    private fun keyStore(): KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    private fun existingKey(): SecretKey? = keyStore().getKey(alias, null) as? SecretKey

    private fun createKey(): SecretKey {
        val strongBox = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
        if (strongBox) {
            try {
                return generate(strongBox = true)
            } catch (unavailable: StrongBoxUnavailableException) {
                // Advertised but refused (busy, or this key type unsupported): fall back.
            }
        }
        return generate(strongBox = false)
    }

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
        if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) spec.setIsStrongBoxBacked(true)
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(spec.build())
        return generator.generateKey()
    }

    /** Names and sizes of the format. */
    companion object {
        /** The Keystore alias used when none is given. */
        const val DEFAULT_ALIAS: String = "org.selfreport.store-key"
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val VERSION: Byte = 1
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16
        private val AAD = "selfreport.android-keystore/1".toByteArray(Charsets.UTF_8)
    }
}
