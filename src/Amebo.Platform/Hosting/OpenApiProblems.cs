using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Amebo.Platform.Hosting;

/// <summary>
/// Completes the OpenAPI document for people and clients: a summary for each operation, grouped by
/// concept, and the problem responses each operation can give (RFC 9457,
/// <c>application/problem+json</c>, one shared <c>Problem</c> schema): the ones every route shares
/// (401 without a valid token, 429 over the rate limit, 503 without a database), the ones every
/// body shares (400, 413, 415), 404 for a named resource, and each operation's own.
/// </summary>
public static class OpenApiProblems
{
    public const string ProblemSchema = "Problem";

    // Statuses an operation answers beyond the shared ones, from its checks.
    private static readonly Dictionary<string, int[]> Own = new()
    {
        ["RegisterApplication"] = [403, 409],
        ["UpdateApplication"] = [403],
        ["RegisterAction"] = [403, 404, 409],
        ["ChangeAction"] = [403, 409],
        ["PublishEvent"] = [403, 404, 409, 422],
        ["PublishBatch"] = [403, 409, 422],
        ["ListEvents"] = [400],
        ["ListActions"] = [400],
        ["ListActionVersions"] = [400],
        ["ListApplications"] = [400],
        ["ListGists"] = [400],
        ["ListSubscriptions"] = [400],
        ["ListProjectionDocuments"] = [400],
        ["GetProjectionDocument"] = [400],
        ["GetStream"] = [400],
        ["GetEntity"] = [400],
        ["RebuildProjection"] = [403, 409],
        ["CreateSubscription"] = [403, 404, 409],
        ["UpdateSubscription"] = [403],
        ["DeleteSubscription"] = [403],
        ["ReplaySubscription"] = [403],
        ["RetryGist"] = [403, 409],
    };

    // What each operation does, for the reference page (the operation ids stay as they are).
    private static readonly Dictionary<string, string> Summaries = new()
    {
        ["IssueToken"] = "Exchange an application's name and secret for a token",
        ["RegisterApplication"] = "Register an application",
        ["ListApplications"] = "List applications",
        ["GetApplication"] = "Get an application",
        ["UpdateApplication"] = "Change an application's address or rotate its secret",
        ["RegisterAction"] = "Register an action with its JSON Schema",
        ["ListActions"] = "List actions",
        ["GetAction"] = "Get an action (its latest version)",
        ["ChangeAction"] = "Change an action's schema (a new version when compatible)",
        ["CheckActionSchema"] = "Dry-run a schema change against the action and its stored payloads",
        ["ListActionVersions"] = "List an action's schema versions",
        ["GetActionVersion"] = "Get one version of an action's schema",
        ["PublishEvent"] = "Publish an event",
        ["PublishBatch"] = "Publish a batch of events, all or nothing",
        ["ListEvents"] = "List events in rowid order",
        ["GetEvent"] = "Get an event by rowid",
        ["GetStream"] = "Get a stream's version and events",
        ["GetEntity"] = "Get an entity's state, now or back in time",
        ["ListProjections"] = "List projections with their position and lag",
        ["ListProjectionDocuments"] = "List a projection's documents",
        ["GetProjectionDocument"] = "Get a projection's document",
        ["RebuildProjection"] = "Rebuild a projection from the stored events",
        ["CreateSubscription"] = "Subscribe an application to an action's events",
        ["ListSubscriptions"] = "List subscriptions",
        ["GetSubscription"] = "Get a subscription",
        ["UpdateSubscription"] = "Pause, resume or change a subscription",
        ["DeleteSubscription"] = "Delete a subscription",
        ["ReplaySubscription"] = "Deliver an action's stored events again",
        ["ListGists"] = "List deliveries with their attempts",
        ["RetryGist"] = "Make a delivery pending again",
    };

    // The concept each path belongs to, in the order the reference page lists them.
    private static readonly (string Prefix, string Tag)[] Concepts =
    [
        ("/v1/tokens", "Tokens"), ("/v1/applications", "Applications"), ("/v1/actions", "Actions"), ("/v1/events", "Events"),
        ("/v1/streams", "Streams"), ("/v1/entities", "Entities"), ("/v1/projections", "Read models"),
        ("/v1/subscriptions", "Subscriptions"), ("/v1/gists", "Subscriptions"),
    ];

    public static OpenApiOptions AddAmeboProblems(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Amebo";
            document.Info.Description = "Schema-checked events over REST: applications, actions, events, projections and webhook subscriptions.";
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchema] = Problem();
            document.Tags = new HashSet<OpenApiTag>(Concepts.Select(c => c.Tag).Distinct().Select(t => new OpenApiTag { Name = t }));
            foreach (var (path, item) in document.Paths)
            {
                if (!path.StartsWith("/v1/", StringComparison.Ordinal) || item.Operations is null) continue;
                var concept = Concepts.FirstOrDefault(c => path.StartsWith(c.Prefix, StringComparison.Ordinal)).Tag ?? "Amebo";
                foreach (var operation in item.Operations.Values)
                {
                    operation.Tags = new HashSet<OpenApiTagReference> { new(concept, document) };
                    if (operation.OperationId is { } id && Summaries.TryGetValue(id, out var summary)) operation.Summary = summary;
                    // Wolverine describes an operation with its generated handler's name, which means nothing to a reader.
                    if (operation.Description is { } description && description.Contains("_v1", StringComparison.Ordinal)) operation.Description = null;
                    operation.Responses ??= new OpenApiResponses();
                    foreach (var status in StatusesOf(path, operation.RequestBody is not null, operation.OperationId).Order())
                    {
                        operation.Responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse
                        {
                            Description = Problems.TitleFor(status),
                            Content = new Dictionary<string, OpenApiMediaType>
                            {
                                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                            },
                        });
                    }
                }
            }
            return Task.CompletedTask;
        });
        return options;
    }

    private static HashSet<int> StatusesOf(string path, bool hasBody, string? operationId)
    {
        // 401: no valid token, or (POST /v1/tokens) a wrong application and secret.
        var statuses = new HashSet<int> { 401, 429, 503 };
        if (hasBody) statuses.UnionWith([400, 413, 415]);
        if (path.Contains('{')) statuses.Add(404);
        if (operationId is not null && Own.TryGetValue(operationId, out var own)) statuses.UnionWith(own);
        return statuses;
    }

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem: what went wrong, for a person (detail) and for a program (type, status, errors).",
        Required = new HashSet<string> { "type", "title", "status", "detail" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "urn:amebo:problem:* naming the kind of problem" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "a sentence for a person" },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "each failed check, for validation failures and incompatible schema changes",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["pointer"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "JSON Pointer to the offending value", Examples = [JsonValue.Create("/payload/email")] },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["keyword"] = new OpenApiSchema { Type = JsonSchemaType.String, Examples = [JsonValue.Create("format")] },
                    },
                },
            },
        },
    };
}
