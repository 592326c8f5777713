package android.content.pm;

/** Compile-time stand-in (check mode only; never packaged); the constant is the SDK's value. */
public abstract class PackageManager {
    public static final String FEATURE_STRONGBOX_KEYSTORE = "android.hardware.strongbox_keystore";

    public abstract boolean hasSystemFeature(String name);
}
