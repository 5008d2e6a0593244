using JasperFx.CodeGeneration;
using Wolverine;

namespace Amebo.Platform.Hosting;

public static class HostDefaults
{
    /// <summary>Framework chatter (DDL, handler discovery, daemon batches) only when something is wrong.</summary>
    public static ILoggingBuilder AddAmeboLogging(this ILoggingBuilder logging)
    {
        logging.AddFilter("Marten", LogLevel.Warning);
        // Marten logs every failed command, including the stream races Amebo retries; failures that
        // reach a client are logged once by the problem handler instead.
        logging.AddFilter("Marten.IDocumentStore", LogLevel.Critical);
        logging.AddFilter("Wolverine", LogLevel.Warning);
        logging.AddFilter("JasperFx", LogLevel.Warning);
        logging.AddFilter("Weasel", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
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

    public static void ApplyAmeboDefaults(this WolverineOptions opts)
    {
        opts.UseRuntimeCompilation();
        opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
        opts.Discovery.IncludeAssembly(typeof(HostDefaults).Assembly);
    }
}
