"""One job, no Hydra: the schemas generated from the declarations, the validation rules, the job itself,
training, evaluation, metrics, progress and the record contract (:mod:`~nnapprox.experiment.records`).
"""
