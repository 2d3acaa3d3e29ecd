using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CertPolicy.Tests.Support;

/// <summary>A real HTTPS server (Kestrel, in the test process) on 127.0.0.1 and a free port, for the MTA-STS policy
/// fetches of the fetcher, scan and service tests.</summary>
internal static class LoopbackHttps
{
    /// <summary>Starts the server; the caller stops it (<c>StopAsync</c>) and disposes it.</summary>
    /// <param name="https">The TLS settings (certificate or certificate selector).</param>
    /// <param name="handler">Answers every request.</param>
    /// <returns>The running server and where it listens.</returns>
    internal static async Task<(WebApplication App, IPEndPoint Endpoint)> StartAsync(Action<HttpsConnectionAdapterOptions> https, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https)));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new IPEndPoint(IPAddress.Loopback, new Uri(address).Port));
    }
}
