package org.selfreport.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import org.selfreport.MonitoringReason
import org.selfreport.ProfileInfo
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.AppState
import org.selfreport.demo.logic.DueRow
import org.selfreport.demo.logic.PolicyView
import org.selfreport.demo.logic.RecordRow

/** Who collects, why, where it goes and for how long, then the consent question. */
@Composable
fun OnboardingScreen(policy: PolicyView, viewModel: DemoViewModel, modifier: Modifier) {
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.onboarding_intro), style = MaterialTheme.typography.bodyLarge)
        LabelledValue(stringResource(R.string.onboarding_issuer), policy.issuer)
        LabelledValue(stringResource(R.string.onboarding_purpose), policy.purpose)
        LabelledValue(stringResource(R.string.onboarding_endpoint), policy.endpointHost)
        LabelledValue(
            stringResource(R.string.onboarding_retention),
            stringResource(R.string.onboarding_retention_value, policy.deviceRetentionDays, policy.serverRetentionDays),
        )
        policy.monitoringDays?.let {
            LabelledValue(stringResource(R.string.onboarding_monitoring), stringResource(R.string.days_value, it))
        }
        LabelledValue(
            stringResource(R.string.onboarding_validity),
            stringResource(R.string.onboarding_validity_value, policy.validFrom, policy.validUntil),
        )
        Text(stringResource(R.string.onboarding_promise), style = MaterialTheme.typography.bodyMedium)
        Button(onClick = { viewModel.act { consent(policy.id) } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_consent))
        }
        OutlinedButton(onClick = { viewModel.act { notNow() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_not_now))
        }
    }
}

/** A caption over a value, read by screen readers as one item. */
@Composable
fun LabelledValue(caption: String, value: String) {
    Column(Modifier.fillMaxWidth().semantics(mergeDescendants = true) {}) {
        Text(caption, style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.primary)
        Text(value, style = MaterialTheme.typography.bodyLarge)
    }
}

/** A section heading, marked as one for screen readers. */
@Composable
fun SectionHeading(text: String) {
    Text(
        text,
        style = MaterialTheme.typography.titleMedium,
        modifier = Modifier.padding(top = 16.dp, bottom = 4.dp).semantics { heading() },
    )
}

/** What is due, the household, saved records, and the way to the ledger and settings. */
@Composable
fun HomeScreen(state: AppState, viewModel: DemoViewModel, modifier: Modifier) {
    var monitoringFor by remember { mutableStateOf<ProfileInfo?>(null) }
    LazyColumn(modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        items(state.policies.filter { !it.consented }, key = { "consent-" + it.id }) { policy ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(16.dp)) {
                    Text(stringResource(R.string.home_no_consent, policy.issuer))
                    TextButton(onClick = { viewModel.act { reviewConsent(policy.id) } }) {
                        Text(stringResource(R.string.action_review_consent))
                    }
                }
            }
        }
        item { SectionHeading(stringResource(R.string.home_due)) }
        if (state.due.isEmpty()) {
            item { Text(stringResource(R.string.home_nothing_due)) }
        }
        items(state.due, key = { "due-${it.profileId}-${it.formId}-${it.date}" }) { row -> DueCard(row, viewModel) }

        item { SectionHeading(stringResource(R.string.home_household)) }
        if (state.profiles.isEmpty()) {
            item { Text(stringResource(R.string.home_no_profiles)) }
        }
        items(state.profiles, key = { "profile-" + it.id }) { profile ->
            ProfileCard(profile, state, viewModel, onMonitor = { monitoringFor = profile })
        }
        item {
            Button(onClick = { viewModel.act { newProfile() } }, modifier = Modifier.fillMaxWidth()) {
                Text(stringResource(R.string.action_add_profile))
            }
        }

        item { SectionHeading(stringResource(R.string.home_records)) }
        items(state.records, key = { "record-" + it.id }) { row -> RecordCard(row, viewModel) }

        item {
            Row(Modifier.fillMaxWidth().padding(vertical = 16.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = { viewModel.act { openLedger() } }, modifier = Modifier.weight(1f)) {
                    Text(stringResource(R.string.action_ledger))
                }
                OutlinedButton(onClick = { viewModel.act { openSettings() } }, modifier = Modifier.weight(1f)) {
                    Text(stringResource(R.string.action_settings))
                }
            }
        }
    }
    monitoringFor?.let { profile ->
        MonitoringDialog(
            profile = profile,
            policies = state.policies,
            onDismiss = { monitoringFor = null },
            onStart = { policyId, reason ->
                monitoringFor = null
                viewModel.act { startMonitoring(profile.id, policyId, reason) }
            },
        )
    }
}

@Composable
private fun DueCard(row: DueRow, viewModel: DemoViewModel) {
    Card(Modifier.fillMaxWidth()) {
        Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f).semantics(mergeDescendants = true) {}) {
                Text(row.profileName, style = MaterialTheme.typography.titleMedium)
                Text(row.formTitle)
                Text(
                    if (row.isRegistration) {
                        stringResource(R.string.due_registration, row.date)
                    } else {
                        stringResource(R.string.due_day_of, row.date, row.day, row.ofDays)
                    },
                )
            }
            Button(onClick = { viewModel.act { openDue(row) } }) {
                Text(stringResource(R.string.action_fill_in))
            }
        }
    }
}

@Composable
private fun ProfileCard(profile: ProfileInfo, state: AppState, viewModel: DemoViewModel, onMonitor: () -> Unit) {
    val policies = state.policies
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(16.dp)) {
            Text(profile.displayName, style = MaterialTheme.typography.titleMedium)
            for (policy in policies) {
                for ((formId, title) in policy.forms) {
                    TextButton(onClick = { viewModel.act { openForm(profile.id, policy.id, formId) } }) {
                        Text(stringResource(R.string.action_fill_form, title))
                    }
                }
            }
            if (policies.any { it.monitoringDays != null }) {
                TextButton(onClick = onMonitor) { Text(stringResource(R.string.action_start_monitoring)) }
            }
            for (target in state.passTargets.filter { it.profileId == profile.id.value }) {
                val issuer = policies.firstOrNull { it.id == target.policyId }?.issuer ?: target.policyId
                TextButton(onClick = { viewModel.act { openArrivalPass(target.profileId, target.policyId) } }) {
                    Text(stringResource(R.string.action_arrival_pass, issuer))
                }
            }
            for (target in state.enrollTargets.filter { it.profileId == profile.id.value }) {
                val issuer = policies.firstOrNull { it.id == target.policyId }?.issuer ?: target.policyId
                TextButton(onClick = { viewModel.now { openEnroll(target.profileId, target.policyId) } }) {
                    Text(stringResource(R.string.action_enroll, issuer))
                }
            }
        }
    }
}

@Composable
private fun RecordCard(row: RecordRow, viewModel: DemoViewModel) {
    Card(Modifier.fillMaxWidth()) {
        Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f).semantics(mergeDescendants = true) {}) {
                Text("${row.profileName} · ${row.formTitle}", style = MaterialTheme.typography.titleSmall)
                Text("${row.date} · ${recordStateText(row.state)}")
            }
            TextButton(onClick = { viewModel.act { openPreview(row.id) } }) {
                Text(stringResource(R.string.action_what_is_shared))
            }
        }
    }
}

@Composable
private fun MonitoringDialog(
    profile: ProfileInfo,
    policies: List<PolicyView>,
    onDismiss: () -> Unit,
    onStart: (String, MonitoringReason) -> Unit,
) {
    val monitored = policies.filter { it.monitoringDays != null }
    var policyId by remember { mutableStateOf(monitored.firstOrNull()?.id) }
    var reason by remember { mutableStateOf(MonitoringReason.ARRIVAL) }
    val reasons = listOf(
        MonitoringReason.ARRIVAL to R.string.reason_arrival,
        MonitoringReason.CONTACT to R.string.reason_contact,
        MonitoringReason.SELF_REPORTED to R.string.reason_self,
    )
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.monitoring_title, profile.displayName)) },
        text = {
            Column(Modifier.selectableGroup()) {
                if (monitored.size > 1) {
                    for (policy in monitored) {
                        ChoiceRow(policy.issuer, policyId == policy.id) { policyId = policy.id }
                    }
                }
                for ((value, label) in reasons) {
                    ChoiceRow(stringResource(label), reason == value) { reason = value }
                }
            }
        },
        confirmButton = {
            TextButton(onClick = { policyId?.let { onStart(it, reason) } }, enabled = policyId != null) {
                Text(stringResource(R.string.action_start))
            }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}

/** A radio button row: the whole row is the touch target and one item for screen readers. */
@Composable
fun ChoiceRow(label: String, selected: Boolean, onSelect: () -> Unit) {
    Row(
        Modifier.fillMaxWidth().selectable(selected = selected, onClick = onSelect, role = Role.RadioButton).padding(vertical = 8.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        RadioButton(selected = selected, onClick = null)
        Text(label, Modifier.padding(start = 12.dp))
    }
}
