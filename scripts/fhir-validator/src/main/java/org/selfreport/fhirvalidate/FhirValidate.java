package org.selfreport.fhirvalidate;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Questionnaire;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * Validates FHIR R4 JSON files with HAPI FHIR's instance validator, offline.
 *
 * <p>The definitions are FHIR R4 4.0.1's, from hapi-fhir-validation-resources-r4. Every
 * Questionnaire, CodeSystem, ValueSet and StructureDefinition found in the files (alone or inside a Bundle) is
 * loaded first, so QuestionnaireResponses are checked item by item against their
 * Questionnaire and codes against their CodeSystem. There is no terminology server: codes
 * are checked in memory against the code systems loaded (the spec's and the files'), and
 * a code system that is neither (SNOMED CT, LOINC...) could not be checked.
 *
 * <p>Prints every message, one a line, and a summary; exits 1 when any message is an
 * error or fatal, or when a QuestionnaireResponse names a questionnaire none of the files
 * holds (the validator itself only warns about that).
 */
public final class FhirValidate {
  private FhirValidate() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println("usage: FhirValidate FILE.json...");
      System.exit(2);
    }
    FhirContext context = FhirContext.forR4Cached();
    List<Path> files = new ArrayList<>();
    List<IBaseResource> parsed = new ArrayList<>();
    PrePopulatedValidationSupport ours = new PrePopulatedValidationSupport(context);
    Map<String, Questionnaire> questionnaires = new HashMap<>();
    int unreadable = 0;
    for (String arg : args) {
      Path file = Path.of(arg);
      files.add(file);
      IBaseResource resource;
      try {
        resource =
            context.newJsonParser().parseResource(Files.readString(file, StandardCharsets.UTF_8));
      } catch (DataFormatException error) {
        // Not FHIR HAPI can read: an error of its own; the validator below says more.
        unreadable++;
        System.out.printf("ERROR %s: %s%n", file, error.getMessage());
        parsed.add(null);
        continue;
      }
      parsed.add(resource);
      for (Resource each : resourcesOf(resource)) {
        if (each instanceof Questionnaire questionnaire) {
          questionnaires.put(questionnaire.getUrl() + "|" + questionnaire.getVersion(), questionnaire);
          questionnaires.put(questionnaire.getUrl(), questionnaire);
        }
        if (each instanceof CodeSystem
            || each instanceof ValueSet
            || each instanceof StructureDefinition) {
          ours.addResource(each);
        }
      }
    }

    ValidationSupportChain support =
        new ValidationSupportChain(
            new DefaultProfileValidationSupport(context),
            ours,
            new QuestionnaireSupport(context, questionnaires),
            new CommonCodeSystemsTerminologyService(context),
            new InMemoryTerminologyServerValidationSupport(context),
            new SnapshotGeneratingValidationSupport(context));
    FhirInstanceValidator module = new FhirInstanceValidator(support);
    // As the validator CLI does by default: an extension no definition describes is an
    // error, not a note (HAPI's own default allows any).
    module.setAnyExtensionsAllowed(false);
    FhirValidator validator = context.newValidator();
    validator.registerValidatorModule(module);

    int errors = unreadable;
    int warnings = 0;
    for (int index = 0; index < files.size(); index++) {
      Path file = files.get(index);
      ValidationResult result =
          validator.validateWithResult(Files.readString(file, StandardCharsets.UTF_8));
      for (SingleValidationMessage message : result.getMessages()) {
        ResultSeverityEnum severity = message.getSeverity();
        if (severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL) {
          errors++;
        } else if (severity == ResultSeverityEnum.WARNING) {
          warnings++;
        }
        System.out.printf(
            "%s %s: %s: %s%n",
            severity.name(), file, message.getLocationString(), message.getMessage());
      }
      for (Resource each : resourcesOf(parsed.get(index))) {
        if (each instanceof QuestionnaireResponse response && response.hasQuestionnaire()) {
          String canonical = response.getQuestionnaire();
          if (!questionnaires.containsKey(canonical)) {
            errors++;
            System.out.printf(
                "ERROR %s: QuestionnaireResponse/%s: questionnaire %s is in none of the files%n",
                file, response.getIdPart(), canonical);
          }
        }
      }
    }
    System.out.printf(
        "fhir-validate: %d files, %d errors, %d warnings%n", files.size(), errors, warnings);
    System.exit(errors == 0 ? 0 : 1);
  }

  /** The resource itself, or a Bundle's entries. */
  private static List<Resource> resourcesOf(IBaseResource resource) {
    List<Resource> out = new ArrayList<>();
    if (resource == null) {
      return out;
    }
    if (resource instanceof Bundle bundle) {
      for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
        if (entry.hasResource()) {
          out.add(entry.getResource());
        }
      }
    } else if (resource instanceof Resource plain) {
      out.add(plain);
    }
    return out;
  }

  /**
   * Serves the Questionnaires of the files by canonical URL (with or without `|version`),
   * which HAPI's pre-populated support does not: without it, responses would be checked
   * against no questionnaire at all.
   */
  private static final class QuestionnaireSupport implements IValidationSupport {
    private final FhirContext context;
    private final Map<String, Questionnaire> byCanonical;

    QuestionnaireSupport(FhirContext context, Map<String, Questionnaire> byCanonical) {
      this.context = context;
      this.byCanonical = byCanonical;
    }

    @Override
    public FhirContext getFhirContext() {
      return context;
    }

    @Override
    public String getName() {
      return "selfreport questionnaires";
    }

    @Override
    public <T extends IBaseResource> T fetchResource(Class<T> type, String uri) {
      Questionnaire found = byCanonical.get(uri);
      if (found != null && (type == null || type.isInstance(found))) {
        return type == null ? null : type.cast(found);
      }
      return null;
    }
  }
}
