using Amebo.Platform.Hosting;
using Amebo.Platform.Tokens;
using JasperFx;
using Wolverine;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddAmeboLogging(builder.Configuration);

AmeboSettings settings;
Credentials credentials;
AmeboDatabase database;
try
{
    settings = AmeboSettings.From(builder.Configuration);
    SecurityConfiguration.RequireLoopbackWhenAuthIsOff(settings);
    credentials = Credentials.Load(settings);
    database = await AmeboDatabase.OpenAsync(settings);
}
catch (Exception e) when (e is InvalidSettingException or DatabaseUnavailableException)
{
    Console.Error.WriteLine($"amebo: {e.Message}");
    return 1;
}
builder.WebHost.UseAmeboKestrel(settings);

// `db-apply` creates or updates the whole schema and exits; it is how the schema is made when
// AMEBO_AUTO_MIGRATE=false.
var applying = args is ["db-apply", ..];
builder.Services.AddAmeboStore(database, settings.AutoMigrate || applying);
builder.Host.UseWolverine(opts => opts.ApplyAmeboDefaults(settings.AutoMigrate || applying));
builder.Services.AddAmeboHttp(settings);
builder.Services.AddAmeboSecurity(settings, credentials);

var app = builder.Build();
app.UseAmeboHttp(settings);

if (applying)
{
    // Marten's tables first (Amebo's index is on the event table), then Amebo's own; JasperFx's
    // db-apply then brings Wolverine's tables up to date too, and disposes the host.
    var store = app.Services.GetRequiredService<Marten.IDocumentStore>();
    await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    await AmeboSchema.ApplyAsync(store, CancellationToken.None);
    var code = await app.RunJasperFxCommands(args);
    if (code == 0) Console.WriteLine("amebo: the database schema is in place.");
    return code;
}
if (!settings.AutoMigrate && args is [] or ["run", ..])
{
    var missing = await AmeboSchema.MissingAsync(app.Services.GetRequiredService<Marten.IDocumentStore>(), CancellationToken.None);
    if (missing.Count > 0)
    {
        Console.Error.WriteLine($"amebo: AMEBO_AUTO_MIGRATE=false and the database schema is not in place ({missing.Count} missing or out of date: " +
            $"{string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}). Run `dotnet run --project src/Amebo.Platform -- db-apply` first.");
        await app.DisposeAsync();
        return 1;
    }
}
app.Logger.LogStartup(settings, credentials, database);

// A plain start runs the host; commands (db-apply, projections rebuild, codegen, ...) go through
// JasperFx, which lists the assemblies it searches for them on the console.
if (args.Length == 0)
{
    await app.RunAsync();
    return 0;
}
return await app.RunJasperFxCommands(args);

public partial class Program;
