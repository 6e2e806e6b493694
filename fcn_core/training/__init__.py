"""Training and evaluation of the FCN family (DESIGN §9): datasets (``data``, ``samples``),
joint transforms, recipes, staged initialisation (``staging``, ``vgg_init``, ``input_fold``), the
loop and one step, logs, metrics, evaluation, distributed helpers and run folders. Only this
package and the ``train``/``eval`` commands import it (checked by import-linter)."""
