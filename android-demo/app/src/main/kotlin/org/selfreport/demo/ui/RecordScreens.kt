package org.selfreport.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.AppState
import org.selfreport.demo.logic.PreviewRow
import org.selfreport.demo.logic.Screen

/**
 * "What will be shared": for each recipient, each field before and after its transform
 * and the exact JSON that will be sealed; then what stays on the phone. Sending is one
 * button below all of it.
 */
@Composable
fun PreviewScreen(screen: Screen.Preview, viewModel: DemoViewModel, modifier: Modifier) {
    val model = screen.model
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(stringResource(R.string.preview_intro))
        for (section in model.sections) {
            SectionHeading(stringResource(R.string.preview_to, recipientText(section.recipient)))
            for (row in section.rows) PreviewRowCard(row)
            Text(stringResource(R.string.preview_exact_json, section.paddedSize), style = MaterialTheme.typography.labelLarge)
            val jsonDescription = stringResource(R.string.preview_json_description, recipientText(section.recipient))
            Card(Modifier.fillMaxWidth()) {
                SelectionContainer {
                    Text(
                        section.json,
                        fontFamily = FontFamily.Monospace,
                        style = MaterialTheme.typography.bodySmall,
                        modifier = Modifier.padding(12.dp).semantics { contentDescription = jsonDescription },
                    )
                }
            }
        }
        if (model.staysOnDevice.isNotEmpty()) {
            SectionHeading(stringResource(R.string.preview_stays_heading))
            for (row in model.staysOnDevice) PreviewRowCard(row)
        }
        if (model.sections.isEmpty()) Text(stringResource(R.string.preview_nothing_leaves))
        Button(onClick = { viewModel.act { send() } }, modifier = Modifier.fillMaxWidth(), enabled = model.sections.isNotEmpty()) {
            Text(stringResource(R.string.action_send))
        }
        OutlinedButton(onClick = { viewModel.act { back() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_keep_on_phone))
        }
    }
}

@Composable
private fun PreviewRowCard(row: PreviewRow) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp).semantics(mergeDescendants = true) {}) {
            Text(row.label, style = MaterialTheme.typography.titleSmall)
            Text(stringResource(R.string.preview_before, row.before ?: "—"))
            row.after?.let { Text(stringResource(R.string.preview_after, it), fontFamily = FontFamily.Monospace) }
            Text(
                "${previewStatusText(row.status)} · ${transformText(row.transform)}",
                style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
        }
    }
}

/** Every disclosure with its signed receipt, every consent and deletion request, and the chain check. */
@Composable
fun LedgerScreen(screen: Screen.Ledger, modifier: Modifier) {
    LazyColumn(modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item {
            val status = screen.status
            val text = if (status.valid) {
                stringResource(R.string.ledger_valid, status.entries, status.receiptsVerified)
            } else {
                stringResource(R.string.ledger_invalid, status.problemSeq ?: 0L, status.problem.orEmpty())
            }
            Text(
                text,
                color = if (status.valid) MaterialTheme.colorScheme.primary else MaterialTheme.colorScheme.error,
                modifier = Modifier.padding(vertical = 12.dp),
            )
        }
        if (screen.rows.isEmpty()) item { Text(stringResource(R.string.ledger_empty)) }
        items(screen.rows, key = { it.seq }) { row ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(12.dp)) {
                    Column(Modifier.semantics(mergeDescendants = true) {}) {
                        Text("#${row.seq} · ${ledgerKindText(row.kind)}", style = MaterialTheme.typography.titleSmall)
                        Text("${row.at} · ${row.who}")
                    }
                    HorizontalDivider(Modifier.padding(vertical = 8.dp))
                    for (detail in row.details) {
                        SelectionContainer {
                            LabelledValue(detailCaption(detail.key), detailValue(detail.key, detail.value))
                        }
                    }
                }
            }
        }
    }
}

/** Consent per policy, export, and erase (each with a confirmation where it cannot be undone). */
@Composable
fun SettingsScreen(state: AppState, viewModel: DemoViewModel, modifier: Modifier) {
    var confirmErase by remember { mutableStateOf(false) }
    var confirmExport by remember { mutableStateOf(false) }
    var confirmWithdraw by remember { mutableStateOf<String?>(null) }
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        SectionHeading(stringResource(R.string.settings_consent))
        for (policy in state.policies) {
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(12.dp)) {
                    LabelledValue(policy.issuer, policy.purpose)
                    if (policy.consented) {
                        TextButton(onClick = { confirmWithdraw = policy.id }) {
                            Text(stringResource(R.string.action_withdraw_consent))
                        }
                    } else {
                        TextButton(onClick = { viewModel.act { reviewConsent(policy.id) } }) {
                            Text(stringResource(R.string.action_review_consent))
                        }
                    }
                }
            }
        }
        SectionHeading(stringResource(R.string.settings_your_data))
        Text(stringResource(R.string.settings_export_explained))
        OutlinedButton(onClick = { confirmExport = true }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_export))
        }
        Text(stringResource(R.string.settings_erase_explained))
        Button(
            onClick = { confirmErase = true },
            colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error),
            modifier = Modifier.fillMaxWidth(),
        ) {
            Text(stringResource(R.string.action_erase))
        }
    }
    if (confirmExport) {
        Confirm(
            title = stringResource(R.string.export_confirm_title),
            text = stringResource(R.string.export_confirm_text),
            action = stringResource(R.string.action_export),
            onDismiss = { confirmExport = false },
        ) { viewModel.act { export() } }
    }
    if (confirmErase) {
        Confirm(
            title = stringResource(R.string.erase_confirm_title),
            text = stringResource(R.string.erase_confirm_text),
            action = stringResource(R.string.action_erase),
            onDismiss = { confirmErase = false },
        ) { viewModel.act { erase() } }
    }
    confirmWithdraw?.let { policyId ->
        Confirm(
            title = stringResource(R.string.withdraw_confirm_title),
            text = stringResource(R.string.withdraw_confirm_text),
            action = stringResource(R.string.action_withdraw_consent),
            onDismiss = { confirmWithdraw = null },
        ) { viewModel.act { withdrawConsent(policyId) } }
    }
}

@Composable
private fun Confirm(title: String, text: String, action: String, onDismiss: () -> Unit, onConfirm: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(title) },
        text = { Text(text) },
        confirmButton = {
            TextButton(onClick = {
                onDismiss()
                onConfirm()
            }) { Text(action) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}
