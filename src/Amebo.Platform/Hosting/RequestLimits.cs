using Microsoft.AspNetCore.Http.Features;

namespace Amebo.Platform.Hosting;

/// <summary>
/// Refuses NUL characters in the query string, which no name or filter may hold. Refuses request
/// bodies over their route's limit with 413 before they are read: at once when
/// Content-Length says so, and for chunked bodies as soon as the limit is crossed. Also requires
/// JSON for every body, so a wrong Content-Type is a 415 problem rather than a guess.
/// </summary>
public sealed class RequestLimits(RequestDelegate next, AmeboSettings settings, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.QueryString.Value?.Contains("%00", StringComparison.Ordinal) == true)
        {
            await RefuseAsync(context, 400, "The query string holds a NUL character (%00), which no Amebo value may contain.");
            return;
        }

        if (!HttpMethods.IsPost(request.Method) && !HttpMethods.IsPut(request.Method) && !HttpMethods.IsPatch(request.Method))
        {
            await next(context);
            return;
        }

        // A request without a body (no Content-Length, not chunked) has nothing to limit or type-check.
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            await next(context);
            return;
        }

        var limit = LimitFor(request.Path);
        if (request.ContentLength > limit)
        {
            await RefuseAsync(context, 413, $"The request body is {request.ContentLength} bytes; this route accepts at most {limit}.");
            return;
        }

        if (request.ContentLength is not 0 && !IsJson(request.ContentType))
        {
            await RefuseAsync(context, 415, "Send the body as JSON with the header Content-Type: application/json.");
            return;
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit;

        if (request.ContentLength is null && !await BufferChunkedBodyAsync(context, limit))
        {
            await RefuseAsync(context, 413, $"The request body is larger than this route accepts ({limit} bytes).");
            return;
        }

        await next(context);
    }

    private long LimitFor(PathString path)
    {
        if (path.StartsWithSegments("/v1/events/batch")) return settings.BatchBodyLimit;
        if (path.StartsWithSegments("/v1/events")) return settings.PublishBodyLimit;
        return settings.OtherBodyLimit;
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A body without Content-Length is read here, up to the limit, so that an oversized one is a 413
    /// problem rather than a failure deep inside JSON reading. Memory use is bounded by the limit.
    /// </summary>
    private static async Task<bool> BufferChunkedBodyAsync(HttpContext context, long limit)
    {
        context.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: limit);
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        catch (IOException)
        {
            // Both the buffer limit and Kestrel's body size limit surface as IOExceptions here.
            return false;
        }

        context.Request.Body.Position = 0;
        return true;
    }

    private async Task RefuseAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        // The rest of the body is not read; closing keeps a client that is still sending from waiting.
        if (status == 413) context.Response.Headers.Connection = "close";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = Problems.Of(status, detail),
        });
    }
}
