using System.Security.Claims;
using System.Text.Json;
using Amebo.Platform.Applications;
using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using Json.Pointer;
using Json.Schema;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace Amebo.Platform.Actions;

public sealed record RegisterAction(string? Action, string? Application, JsonElement Schemata, string? Stream);

/// <summary>A registration that passed its checks, with its schema already compiled.</summary>
public sealed record ActionRegistration(ProblemDetails Problem, JsonSchema? Schema, JsonPointer Stream);

public static class RegisterActionEndpoint
{
    public static async Task<ActionRegistration> LoadAsync(RegisterAction? request, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (request is null) return Refused(Problems.BadRequest("The body must be a JSON object."));

        var errors = new List<ProblemError>();
        if (!ActionNames.IsValid(request.Action))
        {
            errors.Add(new("/action", "action must be two or more dot-separated lowercase segments, e.g. user.created.", "pattern"));
        }
        if (!ApplicationNames.IsValid(request.Application))
        {
            errors.Add(new("/application", "application must name a registered application.", "pattern"));
        }
        if (request.Schemata.ValueKind == JsonValueKind.Undefined)
        {
            errors.Add(new("/schemata", "schemata is required: a JSON Schema, or {} to accept any payload.", "required"));
        }
        var pointerText = request.Stream ?? ActionNames.DefaultStream;
        var pointer = JsonPointer.Empty;
        if (pointerText.Length > 200 || pointerText.Any(char.IsControl) || !JsonPointer.TryParse(pointerText, out pointer) || pointer.SegmentCount == 0)
        {
            errors.Add(new("/stream", "stream must be a JSON Pointer into the payload, such as /id.", "format"));
        }
        if (errors.Count > 0) return Refused(Problems.BadRequest("The action registration is invalid.", errors));

        var caller = Caller.Of(user);
        if (!caller.ActsFor(request.Application!))
        {
            return Refused(Problems.Of(403, $"The token of '{caller.Application}' may register actions for '{caller.Application}' only, not for '{request.Application}'."));
        }

        var (schema, reason) = SchemaCompiler.Compile(request.Action!, 1, request.Schemata);
        if (schema is null) return Refused(Problems.BadRequest(reason!, [new("/schemata", reason!, "schema")]));

        if (await session.LoadAsync<Application>(request.Application!, ct) is null)
        {
            return Refused(Problems.NotFound($"No application named '{request.Application}' is registered."));
        }
        if (await session.LoadAsync<ActionDefinition>(request.Action!, ct) is not null)
        {
            return Refused(Problems.Conflict($"An action named '{request.Action}' already exists; change its schema with PUT /v1/actions/{request.Action}."));
        }

        return new ActionRegistration(WolverineContinue.NoProblems, schema, pointer);
    }

    public static ProblemDetails Validate(ActionRegistration registration) => registration.Problem;

    [WolverinePost("/v1/actions", OperationId = "RegisterAction")]
    public static async Task<Created<Data<ActionView>>> Post(
        RegisterAction request, ActionRegistration registration, IDocumentSession session, ActionCatalog catalog, TimeProvider clock, CancellationToken ct)
    {
        var definition = new ActionDefinition
        {
            Id = request.Action!,
            Application = request.Application!,
            Version = 1,
            Schemata = request.Schemata.Clone(),
            Stream = registration.Stream.ToString(),
            CreatedAt = clock.GetUtcNow(),
        };
        session.Insert(definition);
        session.Insert(definition.ToVersion());
        await session.SaveChangesAsync(ct);

        catalog.Remember(new CompiledAction(definition, registration.Schema!, registration.Stream));
        return TypedResults.Created($"/v1/actions/{definition.Id}", new Data<ActionView>(ActionView.From(definition)));
    }

    private static ActionRegistration Refused(ProblemDetails problem) => new(problem, null, JsonPointer.Empty);
}
