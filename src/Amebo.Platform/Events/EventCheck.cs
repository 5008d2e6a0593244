using System.Runtime.InteropServices;
using System.Text.Json;
using Amebo.Platform.Actions;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Marten;

namespace Amebo.Platform.Events;

/// <summary>
/// One event, checked and ready to append: its action, its stream, its payload, the stream version
/// its publisher expects before it (if any), and where it stood in the request (for error pointers).
/// </summary>
public sealed record AdmittedEvent(CompiledAction Action, string Stream, JsonElement Payload, long? ExpectedVersion, string Pointer, Guid Id);

/// <summary>The outcome of checking one publish item: admitted, or refused with errors and a status.</summary>
public sealed record EventCheckResult(AdmittedEvent? Admitted, int Status, string Detail, List<ProblemError> Errors);

/// <summary>
/// The checks every published event passes, in order: shape (400), size (413), storable text (422),
/// known action (404), ownership (403), schema (422) and stream key (422). Pointers are prefixed so batch items read <c>/events/3/payload/email</c>.
/// </summary>
public static class EventCheck
{
    public const int MaxStreamLength = 250;

    public static async ValueTask<EventCheckResult> RunAsync(
        PublishEvent? item, string prefix, Caller caller, ActionCatalog catalog, IQuerySession session, AmeboSettings settings, CancellationToken ct)
    {
        if (item is null)
        {
            return Refuse(400, "Each event must be a JSON object.", new(prefix, "must be an object", "type"));
        }
        if (string.IsNullOrEmpty(item.Action))
        {
            return Refuse(400, "action is required.", new(prefix + "/action", "action is required", "required"));
        }
        if (item.Payload.ValueKind == JsonValueKind.Undefined)
        {
            return Refuse(400, "payload is required.", new(prefix + "/payload", "payload is required", "required"));
        }
        if (item.ExpectedVersion is < 0)
        {
            return Refuse(400, "expected_version must be 0 (a new stream) or more.",
                new(prefix + "/expected_version", "must be 0 or more", "minimum"));
        }
        if (item.Stream is not null && (item.Stream.Length is 0 or > MaxStreamLength || item.Stream.Any(char.IsControl)))
        {
            return Refuse(400, $"stream must be 1 to {MaxStreamLength} printable characters.",
                new(prefix + "/stream", "invalid stream name", "pattern"));
        }

        var size = JsonMarshal.GetRawUtf8Value(item.Payload).Length;
        if (size > settings.Envelope)
        {
            return Refuse(413, $"The payload is {size} bytes; AMEBO_ENVELOPE allows at most {settings.Envelope}.",
                new(prefix + "/payload", $"payload exceeds {settings.Envelope} bytes", "maxBytes"));
        }

        if (JsonText.FindNul(item.Payload, prefix + "/payload") is { } nul)
        {
            return Refuse(422, "The payload holds a NUL character (\\u0000), which Amebo cannot store.",
                new(nul, "NUL characters cannot be stored", "characters"));
        }

        var action = await catalog.FindAsync(item.Action, session, ct);
        if (action is null)
        {
            return Refuse(404, $"No action named '{item.Action}' is registered.",
                new(prefix + "/action", $"unknown action '{item.Action}'", "action"));
        }

        if (!caller.ActsFor(action.Definition.Application))
        {
            return Refuse(403, $"The token of '{caller.Application}' may not publish '{action.Name}', which belongs to '{action.Definition.Application}'.",
                new(prefix + "/action", $"'{action.Name}' belongs to '{action.Definition.Application}'", "owner"));
        }

        var violations = action.Violations(item.Payload, prefix + "/payload");
        if (violations.Count > 0)
        {
            AmeboMetrics.SchemaValidationFailures.WithLabels(action.Name).Inc();
            return new EventCheckResult(null, 422, $"The payload does not match the schema of '{action.Name}'.", violations);
        }

        var stream = item.Stream ?? (action.StreamKey(item.Payload) is { } key ? $"{action.Category}:{key}" : null);
        if (stream is null)
        {
            return Refuse(422, $"The payload has no stream key at {action.Stream}: a non-empty string or an integer is required there.",
                new(prefix + "/payload" + action.Stream, "stream key is missing or not a string or integer", "stream"));
        }

        return new EventCheckResult(new AdmittedEvent(action, stream, item.Payload, item.ExpectedVersion, prefix, Guid.CreateVersion7()), 0, "", []);
    }

    private static EventCheckResult Refuse(int status, string detail, ProblemError error) => new(null, status, detail, [error]);
}
