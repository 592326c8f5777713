package org.selfreport.demo.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.error
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import org.selfreport.ProfileInfo
import org.selfreport.demo.DemoViewModel
import org.selfreport.demo.R
import org.selfreport.demo.logic.Control
import org.selfreport.demo.logic.FormField
import org.selfreport.demo.logic.FormModel
import org.selfreport.demo.logic.FormState
import org.selfreport.demo.logic.Hint
import org.selfreport.demo.logic.Input
import org.selfreport.demo.logic.Keyboard
import org.selfreport.demo.logic.ProfileDraft
import org.selfreport.demo.logic.ProfileModel
import org.selfreport.demo.logic.Screen
import org.selfreport.demo.logic.TravelLeg

/** A household member: a display name that stays on the phone, and identity attributes. */
@Composable
fun ProfileEditorScreen(screen: Screen.ProfileEditor, viewModel: DemoViewModel, modifier: Modifier) {
    val draft = screen.draft
    fun edit(change: ProfileDraft.() -> ProfileDraft) = viewModel.now { editProfile(draft.change()) }
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        Text(stringResource(R.string.profile_explained))
        TextInput(stringResource(R.string.profile_display_name), draft.displayName, screen.hints[ProfileModel.DISPLAY_NAME],
            Keyboard.TEXT) { edit { copy(displayName = it) } }
        TextInput(stringResource(R.string.profile_name), draft.name, screen.hints[ProfileModel.NAME], Keyboard.TEXT) {
            edit { copy(name = it) }
        }
        TextInput(stringResource(R.string.profile_id_number), draft.idNumber, screen.hints[ProfileModel.ID_NUMBER],
            Keyboard.CAPITALS) { edit { copy(idNumber = it) } }
        TextInput(stringResource(R.string.profile_phone), draft.phone, screen.hints[ProfileModel.PHONE], Keyboard.PHONE,
            placeholder = "+8613800138000") { edit { copy(phone = it) } }
        TextInput(stringResource(R.string.profile_birth_date), draft.birthDate, screen.hints[ProfileModel.BIRTH_DATE],
            Keyboard.NUMBER, placeholder = DATE_PLACEHOLDER) { edit { copy(birthDate = it) } }
        TextInput(stringResource(R.string.profile_passport), draft.passportNumber, screen.hints[ProfileModel.PASSPORT_NUMBER],
            Keyboard.CAPITALS) { edit { copy(passportNumber = it) } }
        Button(onClick = { viewModel.act { saveProfile() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_save_profile))
        }
    }
}

/**
 * A form rendered from the policy's fields: profile-sourced fields shown read-only,
 * every other field with the control its kind needs, and what leaves the device
 * marked on each.
 */
@Composable
fun FormScreen(form: FormState, profiles: List<ProfileInfo>, viewModel: DemoViewModel, modifier: Modifier) {
    val profile = profiles.firstOrNull { it.id.value == form.profileId }
    fun change(fieldId: String, input: Input) = viewModel.now { edit(fieldId, input) }
    Column(
        modifier.verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(form.title, style = MaterialTheme.typography.titleLarge)
        Text(stringResource(R.string.form_for, profile?.displayName.orEmpty(), form.date))
        if (form.fromProfile.isNotEmpty()) {
            SectionHeading(stringResource(R.string.form_from_profile))
            for (field in form.fromProfile) {
                val value = profile?.let { ProfileModel.attribute(it, field.id) }
                LabelledValue(field.label, value ?: stringResource(R.string.form_missing_in_profile))
                field.hint?.let { hint ->
                    Text(hintText(hint), color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
                }
            }
        }
        for (field in form.answerable) {
            FieldEditor(field) { change(field.id, it) }
        }
        Button(onClick = { viewModel.act { submitForm() } }, modifier = Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.action_save_and_preview))
        }
    }
}

@Composable
private fun FieldEditor(field: FormField, onChange: (Input) -> Unit) {
    val leaves = stringResource(if (field.leavesDevice) R.string.field_leaves else R.string.field_stays)
    val label = if (field.required) stringResource(R.string.field_required, field.label) else field.label
    Column(Modifier.fillMaxWidth()) {
        when (val control = field.control) {
            is Control.YesNo -> {
                val value = (field.input as? Input.YesNo)?.value
                GroupLabel(label, field.hint)
                Column(Modifier.selectableGroup()) {
                    ChoiceRow(stringResource(R.string.answer_yes), value == true) { onChange(Input.YesNo(true)) }
                    ChoiceRow(stringResource(R.string.answer_no), value == false) { onChange(Input.YesNo(false)) }
                }
            }
            is Control.SingleChoice -> {
                val chosen = (field.input as? Input.Choice)?.code
                GroupLabel(label, field.hint)
                Column(Modifier.selectableGroup()) {
                    for (code in control.codes) {
                        ChoiceRow(codeText(code), chosen == code) { onChange(Input.Choice(code)) }
                    }
                }
            }
            is Control.MultiChoice -> {
                val chosen = (field.input as? Input.Codes)?.codes.orEmpty()
                GroupLabel(label, field.hint)
                for (code in control.codes) {
                    val checked = code in chosen
                    Row(
                        Modifier.fillMaxWidth()
                            .toggleable(value = checked, role = Role.Checkbox, onValueChange = { on ->
                                onChange(Input.Codes(if (on) chosen + code else chosen - code))
                            })
                            .padding(vertical = 8.dp),
                        verticalAlignment = Alignment.CenterVertically,
                    ) {
                        Checkbox(checked = checked, onCheckedChange = null)
                        Text(codeText(code), Modifier.padding(start = 12.dp))
                    }
                }
            }
            is Control.TravelLegs -> TravelEditor(label, field, onChange)
            else -> {
                val text = (field.input as? Input.Text)?.text.orEmpty()
                val placeholder = when (control) {
                    is Control.Date -> DATE_PLACEHOLDER
                    is Control.Temperature -> "36.5"
                    is Control.District -> "310104"
                    else -> null
                }
                TextInput(label, text, field.hint, FormModel.keyboard(control), placeholder = placeholder,
                    singleLine = control !is Control.FreeText) { onChange(Input.Text(it)) }
            }
        }
        Text(
            "$leaves${field.recipient?.let { " · " + recipientText(it) }.orEmpty()} · ${transformText(field.transform)}",
            style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant,
        )
    }
}

@Composable
private fun TravelEditor(label: String, field: FormField, onChange: (Input) -> Unit) {
    val legs = (field.input as? Input.Legs)?.legs.orEmpty()
    fun set(index: Int, leg: TravelLeg) = onChange(Input.Legs(legs.toMutableList().also { it[index] = leg }))
    GroupLabel(label, field.hint)
    if (legs.isEmpty()) Text(stringResource(R.string.travel_none))
    legs.forEachIndexed { index, leg ->
        Card(Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
            Column(Modifier.padding(8.dp)) {
                Row(verticalAlignment = Alignment.CenterVertically) {
                    Text(stringResource(R.string.travel_leg, index + 1), Modifier.weight(1f))
                    IconButton(onClick = { onChange(Input.Legs(legs.filterIndexed { i, _ -> i != index })) }) {
                        Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.travel_remove, index + 1))
                    }
                }
                TextInput(stringResource(R.string.travel_place), leg.place, null, Keyboard.NUMBER, placeholder = "420100") {
                    set(index, leg.copy(place = it))
                }
                TextInput(stringResource(R.string.travel_from), leg.from, null, Keyboard.NUMBER, placeholder = DATE_PLACEHOLDER) {
                    set(index, leg.copy(from = it))
                }
                TextInput(stringResource(R.string.travel_to), leg.to, null, Keyboard.NUMBER, placeholder = DATE_PLACEHOLDER) {
                    set(index, leg.copy(to = it))
                }
            }
        }
    }
    TextButton(onClick = { onChange(Input.Legs(legs + TravelLeg())) }) { Text(stringResource(R.string.travel_add)) }
}

/** The label of a group of choices, with its hint read as an error. */
@Composable
private fun GroupLabel(label: String, hint: Hint?) {
    val error = hint?.let { hintText(it) }
    Text(
        label,
        style = MaterialTheme.typography.titleSmall,
        modifier = if (error != null) Modifier.semantics { error(error) } else Modifier,
    )
    if (error != null) Text(error, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall)
}

/** A text field with its label, its hint as supporting text and error, and the right keyboard. */
@Composable
fun TextInput(
    label: String,
    value: String,
    hint: Hint?,
    keyboard: Keyboard,
    placeholder: String? = null,
    singleLine: Boolean = true,
    onChange: (String) -> Unit,
) {
    val error = hint?.let { hintText(it) }
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        placeholder = placeholder?.let { { Text(it) } },
        isError = error != null,
        supportingText = error?.let { { Text(it) } },
        singleLine = singleLine,
        keyboardOptions = keyboardOptions(keyboard),
        modifier = Modifier.fillMaxWidth().then(if (error != null) Modifier.semantics { error(error) } else Modifier),
    )
}

private fun keyboardOptions(keyboard: Keyboard): KeyboardOptions = when (keyboard) {
    Keyboard.TEXT -> KeyboardOptions(keyboardType = KeyboardType.Text)
    Keyboard.NUMBER -> KeyboardOptions(keyboardType = KeyboardType.Number)
    Keyboard.DECIMAL -> KeyboardOptions(keyboardType = KeyboardType.Decimal)
    Keyboard.PHONE -> KeyboardOptions(keyboardType = KeyboardType.Phone)
    Keyboard.CAPITALS -> KeyboardOptions(capitalization = KeyboardCapitalization.Characters, keyboardType = KeyboardType.Ascii)
}

private const val DATE_PLACEHOLDER = "YYYY-MM-DD"
