using Microsoft.Extensions.Logging;

namespace Ezio.Server.Deployments;

internal static partial class DeploymentsLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Deployment {Id} created: image {Image} to {Machines}")]
    public static partial void Created(ILogger logger, string id, string image, string machines);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Machine {Mac} registered from {Ip}")]
    public static partial void Registered(ILogger logger, string mac, string? ip);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Machine {Mac} got job {Deployment}")]
    public static partial void JobIssued(ILogger logger, string mac, string deployment);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Machine {Mac} done with {Deployment}: ok={Ok} {Reason}")]
    public static partial void MachineDone(ILogger logger, string mac, string deployment, bool ok, string? reason);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Deployment {Id} is now {State}")]
    public static partial void StateChanged(ILogger logger, string id, string state);

    [LoggerMessage(EventId = 205, Level = LogLevel.Error, Message = "Cannot save the server state")]
    public static partial void SaveFailed(ILogger logger, Exception exception);
}
