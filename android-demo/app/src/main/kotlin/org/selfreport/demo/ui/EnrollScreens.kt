package org.selfreport.demo.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardActions
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.TextRange
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.TextFieldValue
import androidx.compose.ui.unit.dp
import com.google.mlkit.vision.barcode.common.Barcode
import com.google.mlkit.vision.codescanner.GmsBarcodeScannerOptions
import com.google.mlkit.vision.codescanner.GmsBarcodeScanning
import java.time.Duration
import java.time.Instant
import kotlinx.coroutines.delay
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.ArrivalPassModel
import org.selfreport.demo.logic.ArrivalPassView
import org.selfreport.demo.logic.EnrollState
import org.selfreport.demo.logic.QrMatrix

/**
 * Enrolling a profile: scan the order's QR code with Google's code scanner (Play services
 * shows the camera in its own screen, so the app asks for no camera permission), or type
 * the code printed under it. The logic layer formats the code and maps every refusal.
 */
@Composable
fun EnrollScreen(enroll: EnrollState, viewModel: DemoViewModel, modifier: Modifier) {
    val context = LocalContext.current
    val problem = enroll.problem?.let { messageText(it) }
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.enroll_intro, enroll.profileName, enroll.issuer), style = MaterialTheme.typography.bodyLarge)
        Button(
            onClick = {
                val options = GmsBarcodeScannerOptions.Builder().setBarcodeFormats(Barcode.FORMAT_QR_CODE).build()
                GmsBarcodeScanning.getClient(context, options).startScan()
                    .addOnSuccessListener { barcode ->
                        val text = barcode.rawValue
                        if (text == null) viewModel.now { scanFailed() } else viewModel.act { enrollScanned(text) }
                    }
                    // Cancelled by the person: nothing to say.
                    .addOnFailureListener { viewModel.now { scanFailed() } }
            },
            enabled = !enroll.busy,
            modifier = Modifier.fillMaxWidth(),
        ) {
            Text(stringResource(R.string.action_scan_order))
        }
        Text(stringResource(R.string.enroll_or_type), style = MaterialTheme.typography.titleSmall)
        OutlinedTextField(
            // The cursor stays at the end: the field re-groups the code as it is typed.
            value = TextFieldValue(enroll.code, TextRange(enroll.code.length)),
            onValueChange = { viewModel.now { editEnrollmentCode(it.text) } },
            label = { Text(stringResource(R.string.enroll_code_label)) },
            placeholder = { Text(stringResource(R.string.enroll_code_example)) },
            textStyle = MaterialTheme.typography.titleLarge.copy(fontFamily = FontFamily.Monospace),
            isError = problem != null,
            supportingText = problem?.let { { Text(it) } },
            singleLine = true,
            enabled = !enroll.busy,
            keyboardOptions = KeyboardOptions(
                capitalization = KeyboardCapitalization.Characters,
                autoCorrectEnabled = false,
                keyboardType = KeyboardType.Ascii,
                imeAction = ImeAction.Done,
            ),
            keyboardActions = KeyboardActions(onDone = { if (enroll.canRedeem) viewModel.act { redeemEnrollmentCode() } }),
            modifier = Modifier.fillMaxWidth().then(if (problem != null) Modifier.semantics { error(problem) } else Modifier),
        )
        if (enroll.busy) {
            val busy = stringResource(R.string.enroll_busy)
            LinearProgressIndicator(Modifier.fillMaxWidth().semantics { contentDescription = busy })
            Text(busy)
        }
        Button(
            onClick = { viewModel.act { redeemEnrollmentCode() } },
            enabled = enroll.canRedeem,
            modifier = Modifier.fillMaxWidth(),
        ) {
            Text(stringResource(R.string.action_redeem_code))
        }
    }
}

/**
 * The arrival pass: its QR code, the registration's name and document number for the
 * worker to compare with the document in front of them, and the way on to the order the
 * checkpoint gives. A new pass is made before the checkpoint would refuse the old one.
 */
@Composable
fun ArrivalPassScreen(pass: ArrivalPassView, viewModel: DemoViewModel, modifier: Modifier) {
    LaunchedEffect(pass.madeAt) {
        while (true) {
            val wait = ArrivalPassModel.untilRefresh(pass, Instant.now()).coerceAtLeast(Duration.ofSeconds(1))
            delay(wait.toMillis())
            viewModel.act { refreshArrivalPass() }
        }
    }
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.pass_intro, pass.issuer), style = MaterialTheme.typography.bodyLarge)
        val matrix = pass.matrix
        if (matrix == null) {
            Text(stringResource(R.string.pass_no_code), color = MaterialTheme.colorScheme.error)
        } else {
            QrCode(matrix, stringResource(R.string.pass_qr_description))
        }
        Text(stringResource(R.string.pass_renews), style = MaterialTheme.typography.bodySmall)
        Text(stringResource(R.string.pass_identity), style = MaterialTheme.typography.titleSmall)
        val notGiven = stringResource(R.string.pass_not_given)
        LabelledValue(stringResource(R.string.pass_name), pass.name ?: notGiven)
        LabelledValue(stringResource(R.string.pass_document), pass.documentNumber ?: notGiven)
        OutlinedButton(onClick = { viewModel.now { enrollAfterPass() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_enroll_after_pass))
        }
    }
}

/** A QR code, black on white with its quiet zone whatever the theme, as large as the width allows. */
@Composable
private fun QrCode(matrix: QrMatrix, description: String) {
    Canvas(
        Modifier.fillMaxWidth().aspectRatio(1f).background(Color.White).semantics { contentDescription = description },
    ) {
        val modules = matrix.size + 2 * QrMatrix.QUIET_ZONE
        val module = size.minDimension / modules
        for (row in 0 until matrix.size) {
            for (column in 0 until matrix.size) {
                if (!matrix.isDark(row, column)) continue
                drawRect(
                    Color.Black,
                    topLeft = Offset((column + QrMatrix.QUIET_ZONE) * module, (row + QrMatrix.QUIET_ZONE) * module),
                    // A hair wider than a module, so no seam shows between neighbours.
                    size = Size(module + 0.5f, module + 0.5f),
                )
            }
        }
    }
}
