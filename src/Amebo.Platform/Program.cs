using Amebo.Platform.Hosting;
using JasperFx;
using Wolverine;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddAmeboLogging();

AmeboSettings settings;
AmeboDatabase database;
try
{
    settings = AmeboSettings.From(builder.Configuration);
    database = await AmeboDatabase.OpenAsync(settings);
}
catch (Exception e) when (e is InvalidSettingException or DatabaseUnavailableException)
{
    Console.Error.WriteLine($"amebo: {e.Message}");
    return 1;
}
builder.WebHost.UseUrls(settings.Urls.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

builder.Services.AddAmeboStore(database);
builder.Host.UseWolverine(opts => opts.ApplyAmeboDefaults());
builder.Services.AddAmeboHttp(settings);

var app = builder.Build();
app.UseAmeboHttp();
if (database.IsEmbedded)
{
    app.Logger.LogInformation("Embedded PostgreSQL is running with its data in {DataDir}", Path.GetFullPath(settings.DataDir));
}

return await app.RunJasperFxCommands(args);

public partial class Program;
