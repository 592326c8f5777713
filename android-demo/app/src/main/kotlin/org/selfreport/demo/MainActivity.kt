package org.selfreport.demo

import android.Manifest
import android.content.Intent
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.core.content.FileProvider
import java.io.File
import org.selfreport.demo.logic.ExportFile
import org.selfreport.demo.ui.DemoApp
import org.selfreport.demo.ui.DemoTheme

/** The single activity: the Compose UI over [DemoViewModel]. */
class MainActivity : ComponentActivity() {
    private val viewModel: DemoViewModel by viewModels()

    private val askNotifications = registerForActivityResult(ActivityResultContracts.RequestPermission()) { }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        if (savedInstanceState == null) {
            // Exports shared in an earlier session hold everything decrypted: do not leave
            // them in the cache. (Not on a rotation: a share target may still be reading.)
            exportDir().listFiles()?.forEach { it.delete() }
        }
        if (savedInstanceState == null && Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
        setContent {
            DemoTheme {
                DemoApp(viewModel = viewModel, share = ::share)
            }
        }
    }

    /** Hands an export to the share sheet through the app's FileProvider. */
    private fun share(file: ExportFile) {
        val dir = exportDir().apply { mkdirs() }
        val target = File(dir, file.name)
        target.writeText(file.json)
        val uri = FileProvider.getUriForFile(this, "$packageName.exports", target)
        val send = Intent(Intent.ACTION_SEND)
            .setType("application/json")
            .putExtra(Intent.EXTRA_STREAM, uri)
            .addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
        startActivity(Intent.createChooser(send, getString(R.string.export_share_title)))
    }

    private fun exportDir(): File = File(cacheDir, "exports")
}
