using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ModelCompiler.Runtime;

/// <summary>Argument checks for generated <c>Predict</c> methods, kept out of line so Predict stays small.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Guard
{
    /// <summary>Throws the ArgumentException for a span of the wrong length.</summary>
    [DoesNotReturn]
    public static void WrongLength(string parameter, int expected, int actual, string shape) =>
        throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
            "'{0}' must have exactly {1} elements (a tensor of shape {2}) but has {3}.", parameter, expected, shape, actual), parameter);
}
