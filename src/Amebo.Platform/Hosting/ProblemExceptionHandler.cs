using JasperFx;
using Marten.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Amebo.Platform.Hosting;

/// <summary>
/// Maps exceptions that escape an endpoint to problem details: known conflicts and unreadable
/// requests to their 4xx, an unreachable database to 503, anything else to a 500 that says nothing
/// of the internals (the exception itself goes to the log).
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var (status, detail) = Classify(exception);
        if (status == 500)
        {
            logger.LogError(exception, "Unhandled failure on {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        if (status == 503)
        {
            logger.LogWarning("The database is unavailable: {Reason}", exception.Message);
            context.Response.Headers.RetryAfter = "5";
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = Problems.Of(status, detail),
            Exception = exception,
        });
    }

    private static (int Status, string Detail) Classify(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: 413 } => (413, "The request body is larger than Amebo accepts."),
        BadHttpRequestException bad => (bad.StatusCode, "The request could not be read."),
        DocumentAlreadyExistsException => (409, "A resource with that name already exists."),
        DatabaseUnavailableException => (503, "The database is unavailable; try again shortly."),
        NpgsqlException { IsTransient: true } => (503, "The database is unavailable; try again shortly."),
        MartenCommandException { InnerException: NpgsqlException { IsTransient: true } } => (503, "The database is unavailable; try again shortly."),
        _ => (500, "Amebo could not complete the request; the failure has been logged."),
    };
}
