using JasperFx.CodeGeneration;
using Wolverine;

namespace Amebo.Platform.Hosting;

public static class HostDefaults
{
    /// <summary>Framework chatter (DDL, handler discovery, daemon batches) only when something is wrong.</summary>
    public static ILoggingBuilder AddAmeboLogging(this ILoggingBuilder logging, IConfiguration configuration)
    {
        if (string.Equals(configuration["AMEBO_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            logging.ClearProviders();
            logging.AddJsonConsole(json => json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ");
        }
        logging.AddFilter("Marten", LogLevel.Warning);
        // Marten logs every failed command, including the stream races Amebo retries; failures that
        // reach a client are logged once by the problem handler instead.
        logging.AddFilter("Marten.IDocumentStore", LogLevel.Critical);
        logging.AddFilter("Wolverine", LogLevel.Warning);
        // Amebo has HTTP endpoints and no message handlers; Wolverine warns about that at every start.
        logging.AddFilter("Wolverine.Configuration.HandlerDiscovery", LogLevel.Error);
        logging.AddFilter("JasperFx", LogLevel.Warning);
        logging.AddFilter("Weasel", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Wolverine logs an unreadable request body as an error under the request type's name; it is
        // the client's mistake, already answered with a 400 problem, so those lines are dropped.
        foreach (var request in new[]
        {
            typeof(Events.PublishEvent), typeof(Events.PublishBatch), typeof(Applications.RegisterApplication),
            typeof(Applications.UpdateApplication), typeof(Actions.RegisterAction), typeof(Actions.ChangeAction), typeof(Actions.CheckAction), typeof(Tokens.IssueToken),
            typeof(Subscriptions.CreateSubscription), typeof(Subscriptions.UpdateSubscription), typeof(Subscriptions.ReplaySubscription),
        })
        {
            logging.AddFilter(request.FullName, LogLevel.None);
        }
        return logging;
    }

    /// <summary>What an operator needs to see at every start: the database, the admin secret's file, and whether auth is off.</summary>
    public static void LogStartup(this ILogger logger, AmeboSettings settings, Tokens.Credentials credentials, AmeboDatabase database)
    {
        if (database.IsEmbedded)
        {
            logger.LogInformation("Embedded PostgreSQL is running with its data in {DataDir}", Path.GetFullPath(settings.DataDir));
        }
        if (credentials.AdminSecretFile is { } file)
        {
            logger.LogInformation("The administrator ('amebo') secret is in {AdminSecretFile}", file);
        }
        if (!settings.AuthEnabled)
        {
            logger.LogWarning("!!! AUTHENTICATION IS OFF (AMEBO_AUTH=off): every request acts as the administrator. Use this on a laptop only. !!!");
        }
    }

    public static void ApplyAmeboDefaults(this WolverineOptions opts, bool autoMigrate = true)
    {
        // Wolverine's own tables follow AMEBO_AUTO_MIGRATE like Marten's.
        opts.AutoBuildMessageStorageOnStartup = autoMigrate ? JasperFx.AutoCreate.CreateOrUpdate : JasperFx.AutoCreate.None;
        // Handlers are pre-generated into Internal/Generated (`just codegen`; a test fails when they
        // drift from the code). A Release build only loads them (Static: no compiler at run time);
        // a Debug build falls back to compiling a handler that is missing, which is what
        // `codegen write` needs to write them in the first place.
#if DEBUG
        opts.UseRuntimeCompilation();
        opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Auto;
#else
        opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
#endif
        opts.Discovery.IncludeAssembly(typeof(HostDefaults).Assembly);
    }
}
