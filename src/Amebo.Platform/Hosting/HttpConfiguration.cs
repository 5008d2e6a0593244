using Prometheus;
using Amebo.Platform.Actions;
using Amebo.Platform.Applications;
using Amebo.Platform.Events;
using Microsoft.AspNetCore.Identity;
using Wolverine.Http;

namespace Amebo.Platform.Hosting;

public static class HttpConfiguration
{
    /// <summary>Listening addresses, and limits on what a request line and its headers may hold.</summary>
    public static IWebHostBuilder UseAmeboKestrel(this IWebHostBuilder web, AmeboSettings settings)
    {
        web.UseUrls(settings.Urls.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        web.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.MaxRequestBodySize = Math.Max(settings.BatchBodyLimit, settings.OtherBodyLimit);
        });
        return web;
    }

    /// <summary>Settings, JSON conventions, problem details and the services endpoints use.</summary>
    public static IServiceCollection AddAmeboHttp(this IServiceCollection services, AmeboSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ActionCatalog>();
        services.AddSingleton<EventReader>();
        services.AddSingleton<EventAppender>();
        services.AddSingleton<IdempotencyKeys>();
        services.AddSingleton<Publisher>();
        services.AddSingleton<ReadModels.Rebuilds>();
        services.AddSingleton<ReadModels.ProjectionReader>();
        services.AddHostedService<IdempotencySweeper>();
        services.AddSingleton<Subscriptions.SubscriptionCatalog>();
        services.AddSingleton<Subscriptions.Gists>();
        services.AddSingleton<Subscriptions.Deliverer>();
        services.AddHostedService(sp => sp.GetRequiredService<Subscriptions.Deliverer>());
        // One pooled client for every webhook; Amebo's own delivery timeout applies per request.
        services.AddHttpClient(Subscriptions.Deliverer.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton<IPasswordHasher<Application>, PasswordHasher<Application>>();

        services.ConfigureHttpJsonOptions(o => JsonConventions.Apply(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            Problems.Complete(c.ProblemDetails);
            c.HttpContext.Response.ContentType = Problems.ContentType;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddWolverineHttp();
        services.AddAmeboHealth();
        services.AddAmeboObservability();
        return services;
    }

    public static WebApplication UseAmeboHttp(this WebApplication app, AmeboSettings settings)
    {
        app.UseMiddleware<RequestLog>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseHttpMetrics();
        app.UseAmeboSecurity(settings);
        app.UseMiddleware<RequestLimits>();
        app.MapWolverineEndpoints(o => o.RejectUnparseableQueryValues = true);
        app.MapAmeboHealth();
        app.MapAmeboObservability();
        return app;
    }
}
