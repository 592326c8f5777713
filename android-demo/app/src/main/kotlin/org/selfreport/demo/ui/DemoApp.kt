package org.selfreport.demo.ui

import androidx.activity.compose.BackHandler
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.Scaffold
import androidx.compose.material3.SnackbarHost
import androidx.compose.material3.SnackbarHostState
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.AppState
import org.selfreport.demo.logic.ExportFile
import org.selfreport.demo.logic.Screen

/** The whole app: a top bar with a way back, the current screen, and messages as snackbars. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DemoApp(viewModel: DemoViewModel, share: (ExportFile) -> Unit) {
    val state by viewModel.state.collectAsStateWithLifecycle()
    val snackbar = remember { SnackbarHostState() }
    val screen = state.screen
    val hasBack = screen !is Screen.Loading && screen !is Screen.CannotOpen && screen !is Screen.Erased &&
        screen !is Screen.Home && screen !is Screen.Onboarding

    val message = state.message
    val messageText = message?.let { messageText(it) }
    LaunchedEffect(message) {
        if (messageText != null) {
            snackbar.showSnackbar(messageText)
            viewModel.now { dismissMessage() }
        }
    }
    val export = state.pendingExport
    LaunchedEffect(export) {
        if (export != null) {
            share(export)
            viewModel.now { exportHandled() }
        }
    }
    BackHandler(enabled = hasBack) { viewModel.act { back() } }

    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(screenTitle(screen)) },
                navigationIcon = {
                    if (hasBack) {
                        IconButton(onClick = { viewModel.act { back() } }) {
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.action_back))
                        }
                    }
                },
            )
        },
        snackbarHost = { SnackbarHost(snackbar) },
    ) { padding ->
        ScreenContent(state.screen, state, viewModel, padding)
    }
}

@Composable
private fun screenTitle(screen: Screen): String = stringResource(
    when (screen) {
        is Screen.Loading, is Screen.Home -> R.string.app_name
        is Screen.CannotOpen -> R.string.title_cannot_open
        is Screen.Onboarding -> R.string.title_onboarding
        is Screen.ProfileEditor -> R.string.title_new_profile
        is Screen.Form -> R.string.title_form
        is Screen.Preview -> R.string.title_preview
        is Screen.Ledger -> R.string.title_ledger
        is Screen.Settings -> R.string.title_settings
        is Screen.Erased -> R.string.title_erased
        is Screen.Enroll -> R.string.title_enroll
        is Screen.ArrivalPass -> R.string.title_arrival_pass
    },
)

@Composable
private fun ScreenContent(
    screen: Screen,
    state: AppState,
    viewModel: DemoViewModel,
    padding: PaddingValues,
) {
    val modifier = Modifier.fillMaxSize().padding(padding)
    when (screen) {
        is Screen.Loading -> {
            val loading = stringResource(R.string.loading)
            Box(modifier, contentAlignment = Alignment.Center) {
                CircularProgressIndicator(Modifier.semantics { contentDescription = loading })
            }
        }
        is Screen.CannotOpen -> CannotOpenScreen(screen, viewModel, modifier)
        is Screen.Onboarding -> OnboardingScreen(screen.policy, viewModel, modifier)
        is Screen.Home -> HomeScreen(state, viewModel, modifier)
        is Screen.ProfileEditor -> ProfileEditorScreen(screen, viewModel, modifier)
        is Screen.Form -> FormScreen(screen.form, state.profiles, viewModel, modifier)
        is Screen.Preview -> PreviewScreen(screen, viewModel, modifier)
        is Screen.Ledger -> LedgerScreen(screen, modifier)
        is Screen.Settings -> SettingsScreen(state, viewModel, modifier)
        is Screen.Erased -> ErasedScreen(viewModel, modifier)
        is Screen.Enroll -> EnrollScreen(screen.enroll, viewModel, modifier)
        is Screen.ArrivalPass -> ArrivalPassScreen(screen.pass, viewModel, modifier)
    }
}
