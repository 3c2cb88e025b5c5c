using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Api;

/// <summary>Reads a bounded JSON body and turns failures into clear 4xx answers.</summary>
internal static class JsonBody
{
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> info)
        where T : class
    {
        if (context.Request.ContentLength is > ApiRoutes.MaxBodyBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, $"body larger than {ApiRoutes.MaxBodyBytes} bytes"));
        }
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            var n = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            if (buffer.Length + n > ApiRoutes.MaxBodyBytes)
            {
                return (null, Error(StatusCodes.Status413PayloadTooLarge, $"body larger than {ApiRoutes.MaxBodyBytes} bytes"));
            }
            buffer.Write(chunk, 0, n);
        }
        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), info);
            return value is null ? (null, Error(400, "empty body")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid JSON: " + e.Message));
        }
    }

    public static IResult Error(int status, string message) =>
        Results.Json(new ErrorResponse(message), DeploymentJsonContext.Default.ErrorResponse, statusCode: status);
}
