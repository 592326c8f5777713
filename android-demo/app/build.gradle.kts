import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "org.selfreport.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.selfreport.demo"
        // 26: java.time without desugaring and the Keystore AES-GCM key source (23+).
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs scripts/build-android.sh builds; also trims JNA's own native libraries.
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    testOptions {
        unitTests.all { it.useJUnitPlatform() }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The core as a package (scripts/build-android.sh): the generated bindings, the
    // Keystore key source, libselfreport_ffi.so per ABI and consumer R8 rules. Its POM
    // brings JNA as an AAR (libjnidispatch.so for each ABI) and kotlinx-coroutines.
    implementation(libs.selfreport.android)
    implementation(libs.kotlinx.coroutines.android)

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(platform(libs.androidx.compose.bom))
    implementation(libs.androidx.compose.ui)
    implementation(libs.androidx.compose.ui.tooling.preview)
    implementation(libs.androidx.compose.material3)
    implementation(libs.androidx.compose.material.icons.core)
    implementation(libs.androidx.work.runtime.ktx)
    // Enrollment orders are scanned by Google's code scanner (no camera permission: Play
    // services shows the camera); the arrival pass's QR code is drawn from zxing's matrix.
    implementation(libs.play.services.code.scanner)
    implementation(libs.zxing.core)
    debugImplementation(libs.androidx.compose.ui.tooling)

    // The logic/ tests run here too (./gradlew test), as they do in the Maven build in CI.
    testImplementation(libs.junit.jupiter)
    testRuntimeOnly(libs.junit.platform.launcher)
}
