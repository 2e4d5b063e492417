"""bayesbook: the tested library behind *Bayesian Inference and Generative Models*.

One module per idea, named after the chapter that teaches it:

``bayes``         discrete Bayes' rule, grid and conjugate posteriors (chapter 1)
``mle``           numerical maximum likelihood with standard errors (chapter 2)
``energy``        fully visible Boltzmann machines: exact log Z, moments, gradient (chapter 2)
``markov``        Markov chains in the column convention ``W[i, j] = P(j -> i)`` (chapter 3)
``metropolis``    random-walk Metropolis and Metropolis–Hastings (chapter 4)
``gibbs``         Gibbs sampling (chapter 5)
``mixtures``      Gaussian mixtures and their PyMC models (chapter 6)
``vi``            variational inference (chapter 7)
``autoencoders``  PCA, linear and nonlinear autoencoders, the VAE (chapter 8)
``plotting``      the book's one look
``checks``        the check cells that tell a student whether an exercise answer is right
``runtime``       quiet, reproducible PyMC runs inside the book build

Modules are imported explicitly (``from bayesbook import markov``), so importing the
package stays cheap.
"""

__version__ = "0.1.0"
