package org.selfreport.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
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
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.MessageCode
import org.selfreport.demo.logic.Screen

/**
 * The store cannot be opened. A lost key, a store made under another key or a damaged
 * store can only be reset, after a confirmation; any failure can be retried.
 */
@Composable
fun CannotOpenScreen(screen: Screen.CannotOpen, viewModel: DemoViewModel, modifier: Modifier) {
    var confirming by remember { mutableStateOf(false) }
    val keyLost = screen.message.code == MessageCode.KEY_UNAVAILABLE || screen.message.code == MessageCode.KEY_WRONG
    // A reset helps only when the store can never be read again; a passing failure gets a retry alone.
    val canReset = keyLost || screen.message.code == MessageCode.INTEGRITY
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        Text(
            stringResource(if (keyLost) R.string.cannot_open_key_lost else R.string.cannot_open_other),
            style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() },
        )
        Text(messageText(screen.message))
        if (keyLost) {
            Text(stringResource(R.string.cannot_open_reset_explained))
        }
        OutlinedButton(onClick = { viewModel.act { start() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_retry))
        }
        if (canReset) {
            Button(
                onClick = { confirming = true },
                colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error),
                modifier = Modifier.fillMaxWidth(),
            ) {
                Text(stringResource(R.string.action_reset))
            }
        }
    }
    if (confirming) {
        AlertDialog(
            onDismissRequest = { confirming = false },
            title = { Text(stringResource(R.string.reset_confirm_title)) },
            text = { Text(stringResource(R.string.reset_confirm_text)) },
            confirmButton = {
                TextButton(onClick = {
                    confirming = false
                    viewModel.act { resetAfterKeyLoss() }
                }) { Text(stringResource(R.string.action_reset)) }
            },
            dismissButton = { TextButton(onClick = { confirming = false }) { Text(stringResource(R.string.action_cancel)) } },
        )
    }
}

/** After an erase: nothing is left; starting again creates an empty store. */
@Composable
fun ErasedScreen(viewModel: DemoViewModel, modifier: Modifier) {
    Column(modifier.padding(24.dp), verticalArrangement = Arrangement.spacedBy(16.dp)) {
        Text(stringResource(R.string.erased_text))
        Button(onClick = { viewModel.act { start() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_start_again))
        }
    }
}
