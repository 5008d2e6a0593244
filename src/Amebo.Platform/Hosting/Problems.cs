using Microsoft.AspNetCore.Mvc;

namespace Amebo.Platform.Hosting;

/// <summary>One failure inside a request body, located by a JSON Pointer into that body.</summary>
public sealed record ProblemError(string Pointer, string Message, string Keyword);

/// <summary>
/// The one place that turns failures into RFC 9457 problem details. Every status Amebo answers
/// with has one entry in <see cref="Titles"/>; <c>detail</c> is always a sentence for a person.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    private static readonly Dictionary<int, (string Slug, string Title)> Titles = new()
    {
        [400] = ("bad-request", "The request is malformed"),
        [401] = ("unauthorized", "Authentication is required"),
        [403] = ("forbidden", "The token does not grant this right"),
        [404] = ("not-found", "The resource does not exist"),
        [405] = ("method-not-allowed", "The method is not allowed on this resource"),
        [406] = ("not-acceptable", "Amebo answers in JSON only"),
        [409] = ("conflict", "The request conflicts with the current state"),
        [413] = ("payload-too-large", "The request is larger than allowed"),
        [415] = ("unsupported-media-type", "The request body must be JSON"),
        [422] = ("schema-violation", "The payload does not match its action's schema"),
        [429] = ("rate-limited", "Too many requests"),
        [500] = ("internal-error", "Amebo failed to handle the request"),
        [503] = ("unavailable", "The database is unavailable"),
    };

    public static string TypeFor(int status) =>
        $"urn:amebo:problem:{(Titles.TryGetValue(status, out var entry) ? entry.Slug : status.ToString())}";

    public static string TitleFor(int status) =>
        Titles.TryGetValue(status, out var entry) ? entry.Title : "The request failed";

    public static ProblemDetails Of(int status, string detail, IReadOnlyList<ProblemError>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeFor(status),
            Title = TitleFor(status),
            Status = status,
            Detail = detail,
        };
        if (errors is { Count: > 0 }) problem.Extensions["errors"] = errors;
        return problem;
    }

    public static ProblemDetails BadRequest(string detail, IReadOnlyList<ProblemError>? errors = null) => Of(400, detail, errors);
    public static ProblemDetails NotFound(string detail) => Of(404, detail);
    public static ProblemDetails Conflict(string detail) => Of(409, detail);
    public static ProblemDetails TooLarge(string detail) => Of(413, detail);
    public static ProblemDetails Unprocessable(string detail, IReadOnlyList<ProblemError> errors) => Of(422, detail, errors);

    /// <summary>409 naming the stream, the version the publisher expected and the one it found.</summary>
    public static ProblemDetails VersionConflict(Events.VersionConflict conflict)
    {
        var problem = Of(409, $"Stream '{conflict.Stream}' is at version {conflict.Actual}, not {conflict.Expected}; nothing was stored.",
            [new ProblemError(conflict.Pointer, $"expected version {conflict.Expected}, found {conflict.Actual}", "expected_version")]);
        problem.Extensions["stream"] = conflict.Stream;
        problem.Extensions["expected_version"] = conflict.Expected;
        problem.Extensions["actual_version"] = conflict.Actual;
        return problem;
    }

    /// <summary>A problem as an endpoint result, for failures found only while doing the work.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ToResult(this ProblemDetails problem) => TypedResults.Problem(problem);

    /// <summary>Fills in type and title for problems the framework writes itself (404 route, 415, 405...).</summary>
    public static void Complete(ProblemDetails problem)
    {
        var status = problem.Status ?? 500;
        if (status == 400 && problem.Extensions.ContainsKey("lineNumber")) DescribeUnreadableJson(problem);
        problem.Type = problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal)
            || problem.Type.StartsWith("https://httpstatuses", StringComparison.Ordinal)
            ? TypeFor(status)
            : problem.Type;
        problem.Title = problem.Title is null || problem.Type == TypeFor(status) ? TitleFor(status) : problem.Title;
        problem.Detail ??= DefaultDetail(status);
    }

    /// <summary>
    /// The JSON reader's own message names .NET types; keep only where the body went wrong.
    /// </summary>
    private static void DescribeUnreadableJson(ProblemDetails problem)
    {
        var message = problem.Detail ?? "";
        var path = System.Text.RegularExpressions.Regex.Match(message, @"Path: (\$[^ |]*)").Groups[1].Value;
        var where = path is "" or "$" ? "" : $" at {path}";
        problem.Detail = message.Contains("could not be converted", StringComparison.Ordinal)
            ? $"The body has a value of the wrong type{where}."
            : $"The body is not valid JSON{where}.";
        problem.Extensions.Remove("lineNumber");
        problem.Extensions.Remove("bytePositionInLine");
        problem.Instance = null;
        problem.Type = null;
        problem.Title = null;
    }

    private static string DefaultDetail(int status) => status switch
    {
        401 => "A valid bearer token is required: get one from POST /v1/tokens and send it as 'Authorization: Bearer <token>'.",
        403 => "The token does not grant this right.",
        404 => "No resource exists at this address.",
        405 => "This resource does not accept that HTTP method.",
        406 => "Amebo answers in application/json; ask for it in the Accept header.",
        415 => "Send the body as JSON with the header Content-Type: application/json.",
        413 => "The request body is larger than Amebo accepts.",
        400 => "The request could not be read.",
        _ => TitleFor(status) + ".",
    };
}
