global using Kpk.Tests;
global using Xunit;
