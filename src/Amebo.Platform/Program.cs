using Amebo.Platform.Hosting;
using JasperFx;
using Wolverine;

var builder = WebApplication.CreateBuilder(args);
var settings = AmeboSettings.From(builder.Configuration);
builder.WebHost.UseUrls(settings.Urls.Split(';', ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
builder.Logging.AddAmeboLogging();

builder.Services.AddAmeboStore();
builder.Host.UseWolverine(opts => opts.ApplyAmeboDefaults());
builder.Services.AddAmeboHttp(settings);

var app = builder.Build();
app.UseAmeboHttp();

return await app.RunJasperFxCommands(args);

public partial class Program;
