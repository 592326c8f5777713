package android.os;

/** Compile-time stand-in (check mode only; never packaged); values are the SDK's. */
public class Build {
    public static class VERSION {
        /** Not a compile-time constant, as in the SDK (read from the device at run time). */
        public static final int SDK_INT = Integer.parseInt("0");
    }

    public static class VERSION_CODES {
        public static final int P = 28;
    }
}
