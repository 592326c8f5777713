package android.security.keystore;

/** Compile-time stand-in (check mode only; never packaged). */
public final class KeyGenParameterSpec implements java.security.spec.AlgorithmParameterSpec {
    public static final class Builder {
        public Builder(String keystoreAlias, int purposes) { throw new UnsupportedOperationException("stub"); }
        public Builder setBlockModes(String... blockModes) { throw new UnsupportedOperationException("stub"); }
        public Builder setEncryptionPaddings(String... paddings) { throw new UnsupportedOperationException("stub"); }
        public Builder setKeySize(int keySize) { throw new UnsupportedOperationException("stub"); }
        public Builder setRandomizedEncryptionRequired(boolean required) { throw new UnsupportedOperationException("stub"); }
        public Builder setIsStrongBoxBacked(boolean isStrongBoxBacked) { throw new UnsupportedOperationException("stub"); }
        public KeyGenParameterSpec build() { throw new UnsupportedOperationException("stub"); }
    }
}
