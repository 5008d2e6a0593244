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

builder.Services.AddAmeboStore(database);
builder.Host.UseWolverine(opts => opts.ApplyAmeboDefaults());
builder.Services.AddAmeboHttp(settings);
builder.Services.AddAmeboSecurity(settings, credentials);

var app = builder.Build();
app.UseAmeboHttp(settings);
app.Logger.LogStartup(settings, credentials, database);

return await app.RunJasperFxCommands(args);

public partial class Program;
