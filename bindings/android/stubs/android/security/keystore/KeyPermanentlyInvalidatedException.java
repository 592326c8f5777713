package android.security.keystore;

/** Compile-time stand-in (check mode only; never packaged). */
public class KeyPermanentlyInvalidatedException extends java.security.InvalidKeyException {
}
