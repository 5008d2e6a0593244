namespace Amebo.Platform.Hosting;

/// <summary>A success body: <c>{"data": ...}</c>.</summary>
public sealed record Data<T>([property: System.Text.Json.Serialization.JsonPropertyName("data")] T Value);

/// <summary>A page of a list: <c>{"data": [...], "meta": {"next": cursor-or-null}}</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, PageMeta Meta);

public sealed record PageMeta(string? Next);

/// <summary>The <c>after</c>/<c>limit</c> pair every list accepts.</summary>
public static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static Microsoft.AspNetCore.Mvc.ProblemDetails Check(int? limit) =>
        limit is null or (>= 1 and <= MaxLimit)
            ? Wolverine.Http.WolverineContinue.NoProblems
            : Problems.BadRequest($"limit must be between 1 and {MaxLimit}.");

    /// <summary>Builds a page from up to limit+1 rows: the extra row only says that another page exists.</summary>
    public static Page<T> From<T>(IReadOnlyList<T> rows, int limit, Func<T, string> cursor)
    {
        if (rows.Count <= limit) return new Page<T>(rows, new PageMeta(null));
        var page = rows.Take(limit).ToList();
        return new Page<T>(page, new PageMeta(cursor(page[^1])));
    }
}
