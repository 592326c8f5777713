package android.content;

/** Compile-time stand-in (check mode only; never packaged): the SDK's android.jar replaces it. */
public abstract class Context {
    public abstract android.content.pm.PackageManager getPackageManager();
}
