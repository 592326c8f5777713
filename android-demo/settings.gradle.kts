// The selfreport Android demo: one app module over the Rust core's uniffi bindings.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
        // org.selfreport:selfreport-android, as scripts/build-android.sh publishes it (a
        // Maven repository layout); an app would name its own repository instead.
        maven {
            url = uri("../bindings/android/target/maven")
            content { includeGroup("org.selfreport") }
        }
    }
}

rootProject.name = "selfreport-android-demo"
include(":app")
